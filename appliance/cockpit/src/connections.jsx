/* Connections: the entries of sbc.yaml with "Add connection", Edit and Remove (from
 * `sbc config profiles --json` and `sbc config show --json`, changed through `sbc config
 * add|set|remove --json`), and their state (registration, OPTIONS out and in, peer
 * certificate, the reason when one is down) and calls (counters, active calls) from
 * `sbc status --json`. */
import React, { useCallback, useEffect, useState } from 'react';
import {
    Alert, AlertActionCloseButton, Button, Card, CardBody, CardHeader, CardTitle, EmptyState,
    EmptyStateBody, EmptyStateHeader, PageSection, Stack, StackItem, Text, Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';

import * as sbc from './sbc.js';
import { StateLabel, StatusProblem } from './common.jsx';
import { callRows, countersText, formatTime, problemText, statusRows } from './format.js';
import { ConnectionModal } from './connection-form.jsx';
import { EntriesTable, RemoveModal, entryRows } from './connection-entries.jsx';

const FULL = ['Connection', 'Transport', 'Target', 'Registration', 'OPTIONS out', 'OPTIONS in',
    'Peer certificate'];
const COMPACT = [0, 3, 4, 5]; // the columns the overview shows (plus the reason)

export function ConnectionsTable({ status, compact }) {
    const rows = statusRows(status);
    if (!rows.length) {
        return (
            <EmptyState variant="xs" id="no-connections">
                <EmptyStateHeader titleText="No connections configured" headingLevel="h3" />
                <EmptyStateBody>Add the Teams and carrier connections under Connections
                    ("Add connection").</EmptyStateBody>
            </EmptyState>
        );
    }
    const columns = compact ? COMPACT : FULL.map((_, i) => i);
    return (
        <Table aria-label="Connections" variant="compact" id={compact ? 'status-compact' : 'status'}>
            <Thead>
                <Tr>
                    {columns.map(i => <Th key={i} modifier="nowrap">{FULL[i]}</Th>)}
                    <Th modifier="nowrap">Reason</Th>
                </Tr>
            </Thead>
            <Tbody>
                {rows.map(row => (
                    <Tr key={row.name} data-connection={row.name}>
                        {columns.map(i => (
                            <Td key={i} dataLabel={FULL[i]} data-level={row.cells[i].level}
                                title={row.cells[i].title || undefined}>
                                <StateLabel cell={row.cells[i]} />
                            </Td>
                        ))}
                        <Td dataLabel="Reason" className="connection-reason">{row.reason}</Td>
                    </Tr>
                ))}
            </Tbody>
        </Table>
    );
}

const CALL_COLUMNS = ['From', 'To', 'State', 'Route', 'Duration', 'Legs (connection, media)'];

export function CallsCard({ status }) {
    const doc = status && status.ok ? status.json : null;
    const rows = doc ? callRows(doc) : [];
    let counters = 'Loading ...';
    if (status && !doc)
        counters = 'No calls: the SBC is not running.';
    else if (doc)
        counters = countersText(doc.calls);
    return (
        <Card id="calls">
            <CardTitle><Title headingLevel="h2" size="lg">Calls</Title></CardTitle>
            <CardBody>
                <Stack hasGutter>
                    <StackItem><Text id="calls-counters">{counters}</Text></StackItem>
                    <StackItem>
                        {rows.length > 0 &&
                            <Table aria-label="Active calls" variant="compact" id="calls-table">
                                <Thead>
                                    <Tr>{CALL_COLUMNS.map(c => <Th key={c} modifier="nowrap">{c}</Th>)}</Tr>
                                </Thead>
                                <Tbody>
                                    {rows.map(row => (
                                        <Tr key={row.id} data-call={row.id}>
                                            {row.cells.map((c, i) => (
                                                <Td key={i} dataLabel={CALL_COLUMNS[i]}
                                                    data-level={c.level} title={c.title || undefined}>
                                                    <StateLabel cell={c} />
                                                </Td>
                                            ))}
                                        </Tr>
                                    ))}
                                </Tbody>
                            </Table>}
                        {doc && doc.calls && !rows.length &&
                            <EmptyState variant="xs" id="calls-empty">
                                <EmptyStateHeader titleText="No active calls" headingLevel="h3" />
                            </EmptyState>}
                    </StackItem>
                </Stack>
            </CardBody>
        </Card>
    );
}

/* The entries of sbc.yaml and the profiles, read again after every change. */
function useConfig() {
    const [profiles, setProfiles] = useState(null); // `sbc config profiles --json` answer
    const [shown, setShown] = useState(null); // `sbc config show --json` answer
    const [problem, setProblem] = useState(null);
    const load = useCallback(() => Promise.all([sbc.configProfiles(), sbc.configShow()]).then(([p, s]) => {
        const trouble = [];
        if (p.json && p.json.ok)
            setProfiles(p.json);
        else
            trouble.push('The connection profiles cannot be read: ' + problemText(p, 'sbc config profiles'));
        if (s.json && s.json.ok)
            setShown(s.json);
        else if (s.json)
            trouble.push('sbc.yaml cannot be read: ' + s.json.errors.map(e => e.text).join('; '));
        else
            trouble.push('sbc.yaml cannot be read: ' + problemText(s, 'sbc config show'));
        setProblem(trouble.length ? trouble.join(' ') : null);
    }), []);
    useEffect(() => { load() }, [load]);
    return { profiles, shown, problem, load };
}

export function ConnectionsPage({ status, doctor, loadStatus, loadDoctor }) {
    const { profiles, shown, problem, load } = useConfig();
    const [editing, setEditing] = useState(null); // null, {} (add) or an entry row
    const [removing, setRemoving] = useState(null); // an entry row
    const [message, setMessage] = useState(null); // {variant, title, items}

    const doc = status && status.ok ? status.json : null;
    let note = 'Loading the SBC status ...';
    if (doc) {
        const sbcInfo = doc.sbc || {};
        note = (sbcInfo.fqdn ? sbcInfo.fqdn + ': ' : '') + (doc.connections || []).length + ' connections' +
            (doc.generated_at ? ', as of ' + formatTime(doc.generated_at) : '');
    } else if (status) {
        note = 'No status: the SBC is not running.';
    }
    const catalog = profiles ? profiles.profiles : [];
    const rows = shown ? entryRows(shown, catalog) : [];

    // After a save: what happened, the warnings about this connection (the file's other
    // warnings are the Overview's), and everything read again.
    const done = (text, answer, name) => {
        setEditing(null);
        setRemoving(null);
        const failed = answer && !answer.ok;
        const warnings = ((answer && answer.warnings) || []).filter(w =>
            (w.field || '') === 'connections.' + name || (w.field || '').startsWith('connections.' + name + '.'));
        setMessage({
            variant: failed ? 'danger' : (warnings.length ? 'warning' : (answer ? 'success' : 'info')),
            title: failed ? text + ' Applying failed.' : text,
            items: [...(failed ? answer.errors : []), ...warnings].map(i => i.text),
        });
        if (answer && answer.saved) {
            load();
            if (loadStatus)
                loadStatus();
            if (loadDoctor)
                loadDoctor();
        }
    };

    return (
        <PageSection>
            <Stack hasGutter>
                <StackItem><StatusProblem status={status} doctor={doctor} /></StackItem>
                {message &&
                    <StackItem>
                        <Alert variant={message.variant} isInline id="connections-message" title={message.title}
                               actionClose={<AlertActionCloseButton onClose={() => setMessage(null)} />}>
                            {message.items.length > 0 &&
                                <ul>{message.items.map((t, i) => <li key={i}>{t}</li>)}</ul>}
                        </Alert>
                    </StackItem>}
                {problem &&
                    <StackItem><Alert variant="danger" isInline id="config-problem" title={problem} /></StackItem>}
                <StackItem>
                    <Card id="connection-entries">
                        <CardHeader actions={{
                            actions: <Button variant="primary" id="connection-add" isDisabled={!profiles}
                                             onClick={() => setEditing({})}>Add connection</Button>,
                            hasNoOffset: true,
                        }}>
                            <CardTitle><Title headingLevel="h2" size="lg">Connections</Title></CardTitle>
                        </CardHeader>
                        <CardBody>
                            {shown
                                ? <EntriesTable rows={rows} onEdit={setEditing} onRemove={setRemoving} />
                                : <Text>{problem ? '' : 'Loading sbc.yaml ...'}</Text>}
                        </CardBody>
                    </Card>
                </StackItem>
                <StackItem>
                    <Card>
                        <CardHeader actions={{
                            actions: <Button variant="secondary" id="status-refresh"
                                             onClick={() => loadStatus()}>Refresh</Button>,
                            hasNoOffset: true,
                        }}>
                            <CardTitle><Title headingLevel="h2" size="lg">Status</Title></CardTitle>
                        </CardHeader>
                        <CardBody>
                            <Stack hasGutter>
                                <StackItem><Text id="status-note">{note}</Text></StackItem>
                                {doc && <StackItem><ConnectionsTable status={doc} /></StackItem>}
                            </Stack>
                        </CardBody>
                    </Card>
                </StackItem>
            </Stack>
            {editing &&
                <ConnectionModal profiles={catalog} entry={editing.name ? editing : null}
                                 onClose={() => setEditing(null)} onDone={done} />}
            {removing &&
                <RemoveModal row={removing} onClose={() => setRemoving(null)} onDone={done} />}
        </PageSection>
    );
}
