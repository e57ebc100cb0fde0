/* Routing: the ordered rules of sbc.yaml's `routes:` (or the default routes in effect
 * without one) from `sbc routes list --json`, with Add / Edit (routing-form.jsx), Move
 * up/down and Remove through `sbc routes add|set|move|remove --json` (validated by `sbc
 * check`'s code, saved only when valid, then `reload opensbc`), and "Test a number":
 * `sbc routes test --json` runs the B2BUA's own routing on the file as it is now. */
import React, { useCallback, useEffect, useState } from 'react';
import {
    ActionGroup, Alert, AlertActionCloseButton, Button, Card, CardBody, CardHeader, CardTitle,
    DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm,
    EmptyState, EmptyStateBody, EmptyStateHeader, Form, FormGroup, FormSelect, FormSelectOption,
    Label, List, ListItem, Modal, ModalVariant, OrderType, PageSection, Stack, StackItem, Text,
    TextContent, TextInput, Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { ArrowDownIcon, ArrowUpIcon, ExclamationTriangleIcon } from '@patternfly/react-icons';

import * as sbc from './sbc.js';
import * as api from './routing-api.js';
import { problemText } from './format.js';
import { RuleModal, nameOptions } from './routing-form.jsx';

const COLUMNS = ['#', 'Name', 'From', 'Called number', 'Calling number', 'Rewrites', 'To'];

function Code({ text }) {
    return text ? <code>{text}</code> : <span className="route-any">any</span>;
}

/* "Teams (Teams1, Teams2, Teams3), Telekom": each name of `to` with the connections a
 * group stands for, in failover order. */
export function toText(rule, connections) {
    return rule.to.map(name => {
        const members = (connections || []).filter(c => c.group.toLowerCase() === name.toLowerCase())
                .sort((a, b) => a.priority - b.priority).map(c => c.name);
        return members.length && members.join() !== name ? name + ' (' + members.join(', ') + ')' : name;
    }).join(', then ');
}

function RulesTable({ rules, defaults, connections, busy, onEdit, onMove, onRemove }) {
    if (!rules.length) {
        return (
            <EmptyState variant="xs" id="no-routes">
                <EmptyStateHeader titleText="No routes" headingLevel="h3" />
                <EmptyStateBody>Calls get 404 until a rule is added (the default routes need a
                    carrier and a Teams connection).</EmptyStateBody>
            </EmptyState>
        );
    }
    return (
        <Table aria-label="Routing rules" variant="compact" id="routes">
            <Thead>
                <Tr>
                    {COLUMNS.map(c => <Th key={c} modifier="nowrap">{c}</Th>)}
                    {!defaults && <Th screenReaderText="Actions" />}
                </Tr>
            </Thead>
            <Tbody>
                {rules.map((r, i) => (
                    <Tr key={r.name + i} data-route={r.name} data-index={i}>
                        <Td dataLabel="#">{r.position}</Td>
                        <Td dataLabel="Name" className="route-name">
                            {r.name} {r.default && <Label isCompact color="blue">default</Label>}
                            {r.shadowed_by &&
                                <div className="route-shadowed">
                                    <Label isCompact color="orange" icon={<ExclamationTriangleIcon />}>
                                        never matches: {r.shadowed_by} takes these calls first
                                    </Label>
                                </div>}
                        </Td>
                        <Td dataLabel="From" className="route-from">{r.from.length ? r.from.join(', ') : 'any connection'}</Td>
                        <Td dataLabel="Called number" className="route-called"><Code text={r.called} /></Td>
                        <Td dataLabel="Calling number" className="route-calling"><Code text={r.calling} /></Td>
                        <Td dataLabel="Rewrites" className="route-rewrites">
                            {r.rewrite_called && <div>called → <code>{r.rewrite_called}</code></div>}
                            {r.rewrite_calling && <div>calling → <code>{r.rewrite_calling}</code></div>}
                            {!r.rewrite_called && !r.rewrite_calling && <span className="route-any">none</span>}
                        </Td>
                        <Td dataLabel="To" className="route-to">{toText(r, connections)}</Td>
                        {!defaults &&
                            <Td isActionCell modifier="nowrap">
                                <Button variant="plain" aria-label={'Move ' + r.name + ' up'} data-action="up"
                                        isDisabled={busy || i === 0} onClick={() => onMove(r, r.position - 1)}>
                                    <ArrowUpIcon />
                                </Button>
                                <Button variant="plain" aria-label={'Move ' + r.name + ' down'} data-action="down"
                                        isDisabled={busy || i === rules.length - 1}
                                        onClick={() => onMove(r, r.position + 1)}>
                                    <ArrowDownIcon />
                                </Button>
                                <Button variant="secondary" size="sm" data-action="edit" isDisabled={busy}
                                        onClick={() => onEdit(r)}>Edit</Button>{' '}
                                <Button variant="secondary" isDanger size="sm" data-action="remove" isDisabled={busy}
                                        onClick={() => onRemove(r)}>Remove</Button>
                            </Td>}
                    </Tr>
                ))}
            </Tbody>
        </Table>
    );
}

function RemoveModal({ rule, last, onClose, onDone }) {
    const [busy, setBusy] = useState(false);
    const [failure, setFailure] = useState(null);
    const remove = async () => {
        setBusy(true);
        const r = await api.routesRemove(rule.name);
        setBusy(false);
        if (!r.json) {
            setFailure('Removing failed: ' + problemText(r, 'sbc routes remove'));
            return;
        }
        if (r.json.saved || !r.json.errors.length)
            onDone('Removed rule ' + rule.name, r.json);
        else
            setFailure('Not removed: ' + r.json.errors.map(e => e.text).join('; '));
    };
    return (
        <Modal id="route-remove-modal" variant={ModalVariant.small} isOpen title={'Remove rule ' + rule.name + '?'}
               titleIconVariant="warning" onClose={onClose}
               actions={[
                   <Button key="ok" id="route-remove-confirm" variant="danger" isLoading={busy} isDisabled={busy}
                           onClick={remove}>Remove</Button>,
                   <Button key="cancel" id="route-remove-cancel" variant="link" onClick={onClose}>Cancel</Button>,
               ]}>
            <TextContent>
                <Text id="route-remove-what">
                    {last
                        ? 'This is the last rule: without rules the default routes apply again (carriers to Teams, Teams to the first carrier).'
                        : 'Calls it matched go to the next rule that matches them, or get 404 when none does.'}
                </Text>
            </TextContent>
            {failure && <Alert variant="danger" isInline id="route-remove-failure" title={failure} />}
        </Modal>
    );
}

const STATUS_WORDS = {
    404: 'Not Found: no rule matches',
    484: 'Address Incomplete: the called number is not a phone number',
    400: 'Bad Request: the calling number is not a phone number',
    416: 'Unsupported URI Scheme',
    500: 'Server Internal Error: a rewrite made a number that is not one',
    503: 'Service Unavailable: the rule has no connection to send to',
};

/* Why the running SBC skips a target now (as its routing does: waiting, or OPTIONS
 * down), from `sbc status --json`; null when it is tried. */
export function skipReason(status, name) {
    const doc = status && status.ok ? status.json : null;
    const conn = doc ? (doc.connections || []).find(c => c.name === name) : null;
    if (!conn)
        return null;
    if (conn.waiting)
        return 'skipped now: ' + conn.waiting;
    if (conn.options_out && conn.options_out.status === 'down')
        return 'skipped now: its OPTIONS are failing';
    return null;
}

function TestResult({ result, status }) {
    if (!result)
        return null;
    if (result.failure)
        return <Alert variant="danger" isInline id="route-test-result" title={result.failure} />;
    const a = result.answer;
    if (!a.ok)
        return <Alert variant="danger" isInline id="route-test-result" title={a.reason} />;
    const n = a.numbers;
    if (a.status !== null && a.status !== undefined) {
        return (
            <Alert variant="warning" isInline id="route-test-result" data-status={a.status}
                   title={'No route: the caller gets ' + a.status + ' ' + (STATUS_WORDS[a.status] || '')}>
                <p id="route-test-reason">{a.reason}.</p>
                {n && <p>Numbers in E.164: called {n.called}, calling {n.calling || 'none (withheld)'}.</p>}
            </Alert>
        );
    }
    const w = a.rewritten;
    const changed = (x, y) => (x !== y ? ' (rewritten from ' + (y || 'none') + ')' : ' (unchanged)');
    return (
        <Alert variant="success" isInline id="route-test-result" data-route={a.route.name}
               title={'Rule ' + a.route.position + ', ' + a.route.name + (a.route.default ? ' (a default route)' : '') +
                      ', takes this call'}>
            <DescriptionList isHorizontal isCompact id="route-test-details">
                <DescriptionListGroup>
                    <DescriptionListTerm>Called number</DescriptionListTerm>
                    <DescriptionListDescription id="route-test-called">
                        {w.called}{changed(w.called, n.called)}
                    </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                    <DescriptionListTerm>Calling number</DescriptionListTerm>
                    <DescriptionListDescription id="route-test-calling">
                        {w.calling || 'none'}{w.privacy ? ', withheld (Privacy: id)' : ''}
                        {changed(w.calling, n.calling)}
                    </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                    <DescriptionListTerm>Targets, in this order</DescriptionListTerm>
                    <DescriptionListDescription>
                        <List component="ol" type={OrderType.number} id="route-test-targets">
                            {a.targets.map(t => (
                                <ListItem key={t.name} data-target={t.name}>
                                    <strong>{t.name}</strong> sees the call to <code>{t.called}</code>
                                    {t.calling ? <> from <code>{t.calling}</code></> : ' from an anonymous caller'}
                                    {skipReason(status, t.name) &&
                                        <> <Label isCompact color="orange" className="route-test-skip">
                                            {skipReason(status, t.name)}</Label></>}
                                </ListItem>
                            ))}
                        </List>
                    </DescriptionListDescription>
                </DescriptionListGroup>
            </DescriptionList>
        </Alert>
    );
}

/* `generation` counts the saves: a result shown is worked out again for the new rules. */
function TestCard({ connections, status, generation }) {
    const [source, setSource] = useState('');
    const [called, setCalled] = useState('');
    const [calling, setCalling] = useState('');
    const [result, setResult] = useState(null);
    const [busy, setBusy] = useState(false);
    const test = async () => {
        setBusy(true);
        const r = await api.routesTest(source, called.trim(), calling.trim());
        setBusy(false);
        setResult(r.json ? { answer: r.json } : { failure: 'Testing failed: ' + problemText(r, 'sbc routes test') });
    };
    useEffect(() => {
        if (generation && result && source && called.trim())
            test();
    }, [generation]); // eslint-disable-line react-hooks/exhaustive-deps
    const names = (connections || []).map(c => c.name);
    return (
        <Card id="route-test">
            <CardTitle><Title headingLevel="h2" size="lg">Test a number</Title></CardTitle>
            <CardBody>
                <Stack hasGutter>
                    <StackItem>
                        <Text>Where a call would go now, decided by the same routing code the calls use.
                            Type the numbers as the source sends them (a national carrier: 030...).</Text>
                    </StackItem>
                    <StackItem>
                        <Form isHorizontal id="route-test-form"
                              onSubmit={e => { e.preventDefault(); if (source && called.trim()) test() }}>
                            <FormGroup label="Call comes from" fieldId="route-test-from" isRequired>
                                <FormSelect id="route-test-from" value={source} onChange={(_e, v) => setSource(v)}>
                                    {!source && <FormSelectOption value="" label="Choose a connection ..." isPlaceholder />}
                                    {names.map(n => <FormSelectOption key={n} value={n} label={n} />)}
                                </FormSelect>
                            </FormGroup>
                            <FormGroup label="Called number" fieldId="route-test-called-input" isRequired>
                                <TextInput id="route-test-called-input" value={called} autoComplete="off"
                                           placeholder="e.g. 030123456789 or +4930123456789"
                                           onChange={(_e, v) => setCalled(v)} />
                            </FormGroup>
                            <FormGroup label="Calling number" fieldId="route-test-calling-input">
                                <TextInput id="route-test-calling-input" value={calling} autoComplete="off"
                                           placeholder="empty: an anonymous caller"
                                           onChange={(_e, v) => setCalling(v)} />
                            </FormGroup>
                            <ActionGroup>
                                <Button variant="primary" id="route-test-run" isLoading={busy}
                                        isDisabled={busy || !source || !called.trim()} onClick={test}>Test</Button>
                            </ActionGroup>
                        </Form>
                    </StackItem>
                    <StackItem><TestResult result={result} status={status} /></StackItem>
                </Stack>
            </CardBody>
        </Card>
    );
}

export function RoutingPage({ status, loadDoctor }) {
    const [list, setList] = useState(null); // `sbc routes list --json`
    const [entries, setEntries] = useState([]); // `sbc config show --json` connections
    const [problem, setProblem] = useState(null);
    const [editing, setEditing] = useState(null); // null, {} (add) or a rule
    const [removing, setRemoving] = useState(null);
    const [message, setMessage] = useState(null);
    const [busy, setBusy] = useState(false);
    const [generation, setGeneration] = useState(0); // saves so far

    const load = useCallback(() => Promise.all([api.routesList(), sbc.configShow()]).then(([l, s]) => {
        if (l.json && l.json.ok) {
            setList(l.json);
            setProblem(l.json.errors.length
                ? 'sbc.yaml has errors, so nothing can be saved until they are fixed: ' +
                  l.json.errors.map(e => e.text).join('; ')
                : null);
        } else {
            setProblem('The routes cannot be read: ' +
                (l.json ? l.json.errors.map(e => e.text).join('; ') : problemText(l, 'sbc routes list')));
        }
        if (s.json && s.json.ok)
            setEntries(s.json.connections || []);
    }), []);
    useEffect(() => { load() }, [load]);

    const done = (text, answer) => {
        setEditing(null);
        setRemoving(null);
        const failed = answer && !answer.ok;
        const items = [];
        if (answer && answer.defaults_written && answer.defaults_written.length)
            items.push('The default routes were written out after it: ' + answer.defaults_written.join(', ') + '.');
        if (failed)
            answer.errors.forEach(e => items.push(e.text));
        const applied = answer && answer.applied && answer.applied.length ? ': saved and applied (' + answer.applied.join(', ') + ').' : '.';
        setMessage({
            variant: failed ? 'danger' : (answer ? 'success' : 'info'),
            title: answer && answer.saved ? text + (failed ? ': saved, but applying failed.' : applied) : text,
            items,
        });
        if (answer && answer.saved) {
            load().then(() => setGeneration(g => g + 1));
            if (loadDoctor)
                loadDoctor();
        }
    };

    const move = async (rule, position) => {
        setBusy(true);
        const r = await api.routesMove(rule.name, position);
        setBusy(false);
        if (!r.json) {
            setMessage({ variant: 'danger', title: 'Moving failed: ' + problemText(r, 'sbc routes move'), items: [] });
            return;
        }
        if (!r.json.saved && r.json.errors.length) {
            setMessage({ variant: 'danger', title: 'Not moved', items: r.json.errors.map(e => e.text) });
            return;
        }
        done('Moved rule ' + rule.name + ' to position ' + position, r.json);
    };

    const rules = list ? list.routes : [];
    const defaults = Boolean(list && list.defaults);
    const options = nameOptions(list ? list.connections : [], entries);
    return (
        <PageSection>
            <Stack hasGutter>
                {message &&
                    <StackItem>
                        <Alert variant={message.variant} isInline id="routing-message" title={message.title}
                               actionClose={<AlertActionCloseButton onClose={() => setMessage(null)} />}>
                            {message.items.length > 0 && <ul>{message.items.map((t, i) => <li key={i}>{t}</li>)}</ul>}
                        </Alert>
                    </StackItem>}
                {problem && <StackItem><Alert variant="danger" isInline id="routing-problem" title={problem} /></StackItem>}
                <StackItem>
                    <Card id="routing-rules">
                        <CardHeader actions={{
                            actions: <Button variant="primary" id="route-add" isDisabled={!list}
                                             onClick={() => setEditing({})}>Add rule</Button>,
                            hasNoOffset: true,
                        }}>
                            <CardTitle><Title headingLevel="h2" size="lg">Routing rules</Title></CardTitle>
                        </CardHeader>
                        <CardBody>
                            <Stack hasGutter>
                                <StackItem>
                                    <Text id="routing-note">
                                        {defaults
                                            ? 'No rules are written in sbc.yaml, so the default routes apply: each carrier to Teams, Teams to the first carrier. Adding a rule writes them out after it.'
                                            : 'Tried from the top; the first rule that matches the source connection and the numbers (E.164) takes the call.'}
                                    </Text>
                                </StackItem>
                                <StackItem>
                                    {list
                                        ? <RulesTable rules={rules} defaults={defaults} busy={busy} onEdit={setEditing}
                                                      connections={list.connections}
                                                      onMove={move} onRemove={setRemoving} />
                                        : <Text>{problem ? '' : 'Loading sbc.yaml ...'}</Text>}
                                </StackItem>
                            </Stack>
                        </CardBody>
                    </Card>
                </StackItem>
                <StackItem><TestCard connections={list ? list.connections : []} status={status}
                                             generation={generation} /></StackItem>
            </Stack>
            {editing &&
                <RuleModal rule={editing.name ? editing : null} count={rules.length} defaults={defaults}
                           options={options} onClose={() => setEditing(null)} onDone={done} />}
            {removing &&
                <RemoveModal rule={removing} last={rules.length === 1} onClose={() => setRemoving(null)}
                             onDone={done} />}
        </PageSection>
    );
}
