/* Connections (registration, OPTIONS out and in, peer certificate, the reason when one
 * is down) and calls (counters, active calls), from `sbc status --json`. */
import React from 'react';
import {
    Button, Card, CardBody, CardHeader, CardTitle, EmptyState, EmptyStateBody,
    EmptyStateHeader, PageSection, Stack, StackItem, Text, Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';

import { StateLabel, StatusProblem } from './common.jsx';
import { callRows, countersText, formatTime, statusRows } from './format.js';

const FULL = ['Connection', 'Transport', 'Target', 'Registration', 'OPTIONS out', 'OPTIONS in',
    'Peer certificate'];
const COMPACT = [0, 3, 4, 5]; // the columns the overview shows (plus the reason)

export function ConnectionsTable({ status, compact }) {
    const rows = statusRows(status);
    if (!rows.length) {
        return (
            <EmptyState variant="xs" id="no-connections">
                <EmptyStateHeader titleText="No connections configured" headingLevel="h3" />
                <EmptyStateBody>Add the Teams and carrier connections in sbc.yaml
                    (`sbc config add connection NAME --profile P`).</EmptyStateBody>
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

export function ConnectionsPage({ status, doctor, loadStatus }) {
    const doc = status && status.ok ? status.json : null;
    let note = 'Loading the SBC status ...';
    if (doc) {
        const sbc = doc.sbc || {};
        note = (sbc.fqdn ? sbc.fqdn + ': ' : '') + (doc.connections || []).length + ' connections' +
            (doc.generated_at ? ', as of ' + formatTime(doc.generated_at) : '');
    } else if (status) {
        note = 'No status: the SBC is not running.';
    }
    return (
        <PageSection>
            <Stack hasGutter>
                <StackItem><StatusProblem status={status} doctor={doctor} /></StackItem>
                <StackItem>
                    <Card>
                        <CardHeader actions={{
                            actions: <Button variant="secondary" id="status-refresh"
                                             onClick={() => loadStatus()}>Refresh</Button>,
                            hasNoOffset: true,
                        }}>
                            <CardTitle><Title headingLevel="h2" size="lg">Connections</Title></CardTitle>
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
        </PageSection>
    );
}
