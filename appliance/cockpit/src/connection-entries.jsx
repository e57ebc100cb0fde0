/* The connections as sbc.yaml has them: one row per entry (Teams is one entry that makes
 * Teams1-3), its profile and where it connects, with Edit and Remove; "Remove" asks
 * first, naming what goes away, then runs `sbc config remove --json connection NAME`. */
import React, { useState } from 'react';
import {
    Alert, Button, EmptyState, EmptyStateBody, EmptyStateHeader, List, ListItem, Modal, ModalVariant,
    Text, TextContent,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';

import * as sbc from './sbc.js';
import { problemText } from './format.js';
import { appliedText, expandedNames } from './connection-form.jsx';

/* An entry of `sbc config show --json` with its profile (from the catalog) and what it
 * makes: [{name, target}]. */
export function entryRows(shown, profiles) {
    const settings = (shown && shown.settings) || {};
    return ((shown && shown.connections) || []).map(c => {
        const profile = (profiles || []).find(p => p.name === c.profile) || null;
        let makes = [];
        if (profile && profile.expand && profile.expand.length) {
            makes = expandedNames(profile, c.name);
        } else {
            const host = (settings['connections.' + c.name + '.host'] || {}).value ||
                (profile && profile.fixed ? profile.fixed.host : null);
            const port = (settings['connections.' + c.name + '.port'] || {}).value ||
                (profile && profile.fixed ? profile.fixed.port : null);
            makes = [{ name: c.name, target: host ? host + (port ? ':' + port : '') : '' }];
        }
        return { name: c.name, profile: c.profile, label: c.title || (profile && profile.label) || c.profile,
                 known: Boolean(profile), makes };
    });
}

export function EntriesTable({ rows, onEdit, onRemove }) {
    if (!rows.length) {
        return (
            <EmptyState variant="xs" id="no-entries">
                <EmptyStateHeader titleText="No connections in sbc.yaml" headingLevel="h3" />
                <EmptyStateBody>Add the Teams connection and your carrier with "Add connection".</EmptyStateBody>
            </EmptyState>
        );
    }
    return (
        <Table aria-label="Configured connections" variant="compact" id="entries">
            <Thead>
                <Tr>
                    <Th modifier="nowrap">Name</Th>
                    <Th>Provider profile</Th>
                    <Th>Connections</Th>
                    <Th screenReaderText="Actions" />
                </Tr>
            </Thead>
            <Tbody>
                {rows.map(row => (
                    <Tr key={row.name} data-entry={row.name}>
                        <Td dataLabel="Name" modifier="nowrap"><strong>{row.name}</strong></Td>
                        <Td dataLabel="Provider profile">{row.label}</Td>
                        <Td dataLabel="Connections" className="entry-makes">
                            <List isPlain>
                                {row.makes.map(m => (
                                    <ListItem key={m.name} data-name={m.name}>
                                        {row.makes.length > 1 || m.name !== row.name ? m.name + ': ' : ''}
                                        {m.target || '—'}
                                    </ListItem>
                                ))}
                            </List>
                        </Td>
                        <Td dataLabel="Actions" modifier="fitContent" isActionCell>
                            <Button variant="secondary" size="sm" data-action="edit"
                                    isDisabled={!row.known} onClick={() => onEdit(row)}>Edit</Button>
                            {' '}
                            <Button variant="secondary" isDanger size="sm" data-action="remove"
                                    onClick={() => onRemove(row)}>Remove</Button>
                        </Td>
                    </Tr>
                ))}
            </Tbody>
        </Table>
    );
}

function listed(names) {
    if (names.length < 2)
        return names.join('');
    return names.slice(0, -1).join(', ') + ' and ' + names[names.length - 1];
}

export function RemoveModal({ row, onClose, onDone }) {
    const [answer, setAnswer] = useState(null);
    const [failure, setFailure] = useState(null);
    const [busy, setBusy] = useState(false);
    const made = row.makes.map(m => m.name);
    const what = made.length > 1 || made[0] !== row.name
        ? 'its connections ' + listed(made) + ' stop'
        : 'the SBC stops using it';

    const remove = async () => {
        setBusy(true);
        setFailure(null);
        const r = await sbc.configRemoveConnection(row.name);
        setBusy(false);
        if (!r.json) {
            setFailure('Removing failed: ' + problemText(r, 'sbc config remove'));
            return;
        }
        setAnswer(r.json);
        if (r.json.saved || r.json.ok)
            onDone(appliedText(r.json, 'Removed ' + row.name), r.json, row.name);
    };

    const errors = (answer && answer.errors) || [];
    return (
        <Modal id="remove-modal" variant={ModalVariant.small} isOpen titleIconVariant="warning"
               title={'Remove ' + row.name + '?'} onClose={onClose}
               actions={[
                   <Button key="remove" id="remove-confirm" variant="danger" isDisabled={busy}
                           isLoading={busy} onClick={remove}>Remove</Button>,
                   <Button key="cancel" id="remove-cancel" variant="link" onClick={onClose}>Cancel</Button>,
               ]}>
            <TextContent>
                <Text id="remove-what">
                    The entry <strong>{row.name}</strong> ({row.label}) and its settings are
                    deleted from sbc.yaml; {what}.
                </Text>
            </TextContent>
            {errors.length > 0 &&
                <Alert variant="danger" isInline id="remove-errors" title="sbc check refuses this">
                    <ul>{errors.map((e, i) => <li key={i}>{e.text}</li>)}</ul>
                </Alert>}
            {failure && <Alert variant="danger" isInline id="remove-failure" title={failure} />}
        </Modal>
    );
}
