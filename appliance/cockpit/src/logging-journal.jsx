/* The recent log: the SBC's journal (`journalctl -u opensbc -o json -n 500`) as a table,
 * newest first, filtered by severity and by the connection a line names. */
import React, { useCallback, useEffect, useMemo, useState } from 'react';
import {
    Alert, Button, Card, CardBody, CardHeader, CardTitle, EmptyState, EmptyStateBody,
    FormSelect, FormSelectOption, Label, Title, Toolbar, ToolbarContent, ToolbarItem,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';

import * as api from './logging-api.js';

const LABEL = { bad: 'red', warn: 'orange', info: 'blue' };

function journalProblem(r) {
    if (r.problem === 'not-found')
        return 'journalctl is not installed on this system.';
    if (r.problem === 'access-denied')
        return 'Not permitted: turn on administrative access (top right) to read the SBC\'s journal.';
    const err = String(r.err || '').trim().split('\n').filter(Boolean).pop();
    return 'journalctl failed: ' + (err || r.problem || 'exit status ' + r.exitStatus) + '.';
}

function SeverityLabel({ severity }) {
    const color = LABEL[severity.level];
    return color ? <Label color={color} isCompact>{severity.label}</Label> : <>{severity.label}</>;
}

export function RecentLog({ status }) {
    const [entries, setEntries] = useState(null); // parsed journal, newest first
    const [problem, setProblem] = useState(null);
    const [limited, setLimited] = useState(false);
    const [config, setConfig] = useState(null); // `sbc config show --json` and `profiles --json`
    const [catalog, setCatalog] = useState(null);
    const [severity, setSeverity] = useState('all');
    const [connection, setConnection] = useState('');
    const [loading, setLoading] = useState(false);

    const load = useCallback(async () => {
        setLoading(true);
        const [shown, known, journal] = await Promise.all([api.configShow(), api.profiles(), api.journal()]);
        setConfig(shown.json);
        setCatalog(known.json);
        setEntries(journal.ok ? api.parseJournal(journal.out) : []);
        setProblem(journal.ok ? null : journalProblem(journal));
        // journalctl for a user outside systemd-journal: exit 0, no SBC lines, a hint on stderr
        setLimited(journal.ok && /not seeing messages|insufficient permissions/i.test(journal.err));
        setLoading(false);
    }, []);
    useEffect(() => { load() }, [load]);

    // the connections of the file, and those `sbc status` names should they differ
    const running = (status && status.json && Array.isArray(status.json.connections))
        ? status.json.connections.map(c => c.name).filter(Boolean) : [];
    const runningKey = running.join(',');
    const choices = useMemo(() => api.connectionChoices(config, catalog, runningKey ? runningKey.split(',') : []),
                            [config, catalog, runningKey]);
    const rows = useMemo(() => entries && api.withConnections(entries, api.allNames(choices)),
                         [entries, choices]);

    const shown = rows ? api.filterRows(rows, severity, connection, choices) : [];
    const filtered = rows && (severity !== 'all' || connection);

    return (
        <Card id="log-card">
            <CardHeader actions={{
                actions: <Button variant="secondary" id="log-refresh" onClick={load} isDisabled={loading}>Refresh</Button>,
                hasNoOffset: true,
            }}>
                <CardTitle><Title headingLevel="h2" size="lg">Recent log</Title></CardTitle>
            </CardHeader>
            <CardBody>
                <Toolbar id="log-filters" inset={{ default: 'insetNone' }}>
                    <ToolbarContent>
                        <ToolbarItem widths={{ default: '14rem' }}>
                            <FormSelect id="log-severity" aria-label="Severity" value={severity}
                                        onChange={(_e, v) => setSeverity(v)}>
                                {api.SEVERITY_FILTERS.map(f =>
                                    <FormSelectOption key={f.value} value={f.value} label={f.label} />)}
                            </FormSelect>
                        </ToolbarItem>
                        <ToolbarItem widths={{ default: '18rem' }}>
                            <FormSelect id="log-connection" aria-label="Connection" value={connection}
                                        onChange={(_e, v) => setConnection(v)}>
                                <FormSelectOption value="" label="All connections" />
                                {choices.map(c =>
                                    <FormSelectOption key={c.value} value={c.value} label={c.label} />)}
                            </FormSelect>
                        </ToolbarItem>
                        <ToolbarItem variant="pagination" id="log-count">
                            {rows === null ? 'Loading ...'
                                : (filtered ? shown.length + ' of ' + rows.length : rows.length) +
                                  (rows.length === 1 ? ' line' : ' lines') +
                                  ' (the last ' + api.JOURNAL_LINES + ' of journalctl -u opensbc)'}
                        </ToolbarItem>
                    </ToolbarContent>
                </Toolbar>
                {problem && <Alert variant="danger" isInline id="log-problem" title={problem} />}
                {limited &&
                    <Alert variant="warning" isInline id="log-limited"
                           title="Only part of the journal is readable: turn on administrative access (top right) to see the SBC's lines." />}
                {rows !== null && !problem && shown.length === 0 &&
                    <EmptyState variant="xs" id="log-empty">
                        <EmptyStateBody>
                            {rows.length ? 'No lines match these filters.' : 'The SBC has not logged anything yet.'}
                        </EmptyStateBody>
                    </EmptyState>}
                {shown.length > 0 &&
                    <Table aria-label="Recent log" variant="compact" id="log">
                        <Thead>
                            <Tr>
                                <Th width={15}>Time (UTC)</Th>
                                <Th width={10}>Severity</Th>
                                <Th width={15}>Connection</Th>
                                <Th>Message</Th>
                            </Tr>
                        </Thead>
                        <Tbody>
                            {shown.map(r => (
                                <Tr key={r.key} data-priority={r.priority}
                                    data-connections={r.connections.join(' ')}>
                                    <Td dataLabel="Time" modifier="nowrap">{r.time}</Td>
                                    <Td dataLabel="Severity"><SeverityLabel severity={r.severity} /></Td>
                                    <Td dataLabel="Connection">{r.connections.join(', ')}</Td>
                                    <Td dataLabel="Message" modifier="breakWord">
                                        {r.identifier && r.identifier !== 'opensbc' &&
                                            <span className="log-identifier">{r.identifier}: </span>}
                                        {r.message}
                                    </Td>
                                </Tr>
                            ))}
                        </Tbody>
                    </Table>}
            </CardBody>
        </Card>
    );
}
