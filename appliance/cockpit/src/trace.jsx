/* SIP trace: `sbc trace start [--include-options]` / `sbc trace stop`; the trace's files
 * (`sbc trace files --json`, the rotated ones too) with sizes; "Download all" merges
 * them into one pcap in time order (`sbc trace bundle --out -`) and downloads it.
 * "Include OPTIONS" is on by default while a connection is down. Beside it, the
 * Wireshark display filters to read it with (trace-filters.jsx). */
import React, { useCallback, useEffect, useState } from 'react';
import {
    Alert, Button, Card, CardBody, CardTitle, DescriptionList, DescriptionListDescription,
    DescriptionListGroup, DescriptionListTerm, Flex, FlexItem, Grid, GridItem, HelperText,
    HelperTextItem, PageSection, Stack, StackItem, Switch, Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';

import * as sbc from './sbc.js';
import * as api from './trace-api.js';
import { StatusProblem } from './common.jsx';
import { connectionDown, problemText } from './format.js';
import { TraceFilters } from './trace-filters.jsx';

function FileTable({ listing }) {
    if (!listing)
        return null;
    if (!listing.ok || !listing.json) {
        return <Alert variant="warning" isInline isPlain id="trace-files-problem"
                      title={'The trace files are not known: ' + problemText(listing, 'sbc trace files')} />;
    }
    const files = listing.json.files || [];
    if (files.length === 0)
        return null;
    return (
        <Table aria-label="Trace files" variant="compact" id="trace-files">
            <Thead>
                <Tr><Th>File</Th><Th>Size</Th><Th>Packets</Th><Th>From</Th><Th>To</Th></Tr>
            </Thead>
            <Tbody>
                {[...files].reverse().map(f => (
                    <Tr key={f.path} data-file={f.name}>
                        <Td dataLabel="File">{f.name}{f.number === 0 ? ' (current)' : ''}</Td>
                        <Td dataLabel="Size">{api.formatBytes(f.size)}</Td>
                        <Td dataLabel="Packets">{f.error ? <span title={f.error}>unreadable</span> : f.packets}</Td>
                        <Td dataLabel="From">{api.formatTime(f.first)}</Td>
                        <Td dataLabel="To">{api.formatTime(f.last)}</Td>
                    </Tr>
                ))}
            </Tbody>
        </Table>
    );
}

export function TracePage({ status, doctor, loadStatus }) {
    const doc = status && status.ok ? status.json : null;
    const trace = (doc && doc.trace) || {};
    const down = doc ? (doc.connections || []).filter(connectionDown).map(c => c.name) : [];
    const anyDown = down.length > 0;
    const [includeOptions, setIncludeOptions] = useState(null); // null: the default
    const [configPath, setConfigPath] = useState(null);
    const [message, setMessage] = useState(null); // {variant, text}
    const [running, setRunning] = useState(null); // what the last start/stop did
    const [listing, setListing] = useState(null); // the last `sbc trace files --json`
    const [busy, setBusy] = useState(false);

    useEffect(() => {
        sbc.configShow().then(r => {
            const setting = r.json && r.json.settings && r.json.settings['trace.path'];
            if (setting && setting.value)
                setConfigPath(String(setting.value));
        });
    }, []);

    const options = includeOptions === null ? anyDown : includeOptions;
    const path = trace.path || configPath;
    const active = running !== null ? running : trace.active;

    const loadFiles = useCallback(() => api.files(path).then(r => { setListing(r); return r }), [path]);
    // again with every status refresh (the files grow while the trace runs)
    useEffect(() => { loadFiles() }, [loadFiles, status]);

    const act = async action => {
        setMessage({ variant: 'info', text: (action === 'start' ? 'Starting' : 'Stopping') + ' the trace ...' });
        const r = await sbc.trace(action, options);
        if (r.ok) {
            setMessage({ variant: 'success', text: r.out.trim() || ('trace ' + action + ': done') });
            setRunning(action === 'start');
        } else if (r.exitStatus === 3) { // the SBC is not running: the request waits for it
            setMessage({ variant: 'warning', text: [r.out.trim(), problemText(r, 'sbc trace')].filter(Boolean).join('; ') });
        } else {
            setMessage({ variant: 'danger', text: 'sbc trace ' + action + ' failed: ' + problemText(r, 'sbc trace') });
        }
        loadStatus();
        loadFiles();
    };

    const downloadAll = async () => {
        setBusy(true);
        setMessage({ variant: 'info', text: 'Merging the trace files ...' });
        try {
            const now = await loadFiles();
            const shown = (now.json && now.json.path) || path || 'the trace file';
            const count = now.json ? (now.json.files || []).length : 0;
            if (now.ok && count === 0) {
                setMessage({ variant: 'warning', text: 'No trace file yet: ' + shown });
                return;
            }
            const r = await api.bundle(path);
            if (!r.ok) {
                const text = problemText(r, 'sbc trace bundle');
                if (/no trace file yet/.test(text))
                    setMessage({ variant: 'warning', text: 'No trace file yet: ' + shown });
                else
                    setMessage({ variant: 'danger', text: 'Merging the trace files failed: ' + text });
                return;
            }
            api.saveBytes(r.out, api.bundleName(shown));
            document.getElementById('trace-download').setAttribute('data-bytes', String(r.out.length));
            window.OpenSBCTraceDownload = r.out; // for the page tests: what was handed over
            setMessage({ variant: 'success', text: api.downloadedText(shown, count || 1, r.out.length) });
        } finally {
            setBusy(false);
        }
    };

    let state = 'unknown';
    if (active === true)
        state = 'running';
    else if (active === false)
        state = 'stopped';
    const total = listing && listing.json ? listing.json.total_bytes : null;
    const fileCount = listing && listing.json ? (listing.json.files || []).length : 0;
    return (
        <PageSection>
            <Stack hasGutter>
                <StackItem><StatusProblem status={status} doctor={doctor} /></StackItem>
                <StackItem>
                    <Grid hasGutter>
                        <GridItem xl={6}>
                            <Card id="trace-card">
                                <CardTitle><Title headingLevel="h2" size="lg">SIP trace</Title></CardTitle>
                                <CardBody>
                                    <Stack hasGutter>
                                        <StackItem>
                                            <DescriptionList isHorizontal isCompact>
                                                <DescriptionListGroup>
                                                    <DescriptionListTerm>State</DescriptionListTerm>
                                                    <DescriptionListDescription id="trace-state">{state}</DescriptionListDescription>
                                                </DescriptionListGroup>
                                                <DescriptionListGroup>
                                                    <DescriptionListTerm>File</DescriptionListTerm>
                                                    <DescriptionListDescription id="trace-path">{path || 'not known yet'}</DescriptionListDescription>
                                                </DescriptionListGroup>
                                                <DescriptionListGroup>
                                                    <DescriptionListTerm>On disk</DescriptionListTerm>
                                                    <DescriptionListDescription id="trace-total">
                                                        {!listing ? 'looking ...' : (fileCount > 0
                                                            ? fileCount + ' file' + (fileCount === 1 ? '' : 's') + ', ' + api.formatBytes(total)
                                                            : 'nothing yet')}
                                                    </DescriptionListDescription>
                                                </DescriptionListGroup>
                                            </DescriptionList>
                                        </StackItem>
                                        <StackItem><FileTable listing={listing} /></StackItem>
                                        <StackItem>
                                            <Switch id="trace-options" label="Include OPTIONS" isChecked={options}
                                                    onChange={(_e, checked) => setIncludeOptions(checked)} />
                                            <HelperText id="trace-options-help">
                                                <HelperTextItem>
                                                    {anyDown
                                                        ? 'On by default while a connection is down (' + down.join(', ') + '): the trace then shows why.'
                                                        : 'OPTIONS keepalives are left out unless a connection is down.'}
                                                </HelperTextItem>
                                            </HelperText>
                                        </StackItem>
                                        <StackItem>
                                            <Flex>
                                                <FlexItem><Button variant="primary" id="trace-start" isDisabled={state === 'running'} onClick={() => act('start')}>Start</Button></FlexItem>
                                                <FlexItem><Button variant="secondary" id="trace-stop" isDisabled={state === 'stopped'} onClick={() => act('stop')}>Stop</Button></FlexItem>
                                                <FlexItem>
                                                    <Button variant="secondary" id="trace-download" onClick={downloadAll}
                                                            isLoading={busy} isDisabled={busy}>Download all</Button>
                                                </FlexItem>
                                            </Flex>
                                            <HelperText id="trace-download-help" className="pf-v5-u-mt-sm">
                                                <HelperTextItem>
                                                    One pcap with every file (the rotated ones too) in time order. Each message is
                                                    written to the file as it passes, so this works while the trace runs.
                                                </HelperTextItem>
                                            </HelperText>
                                        </StackItem>
                                        {message &&
                                            <StackItem>
                                                <Alert variant={message.variant} isInline isPlain id="trace-message" title={message.text} />
                                            </StackItem>}
                                    </Stack>
                                </CardBody>
                            </Card>
                        </GridItem>
                        <GridItem xl={6}><TraceFilters /></GridItem>
                    </Grid>
                </StackItem>
            </Stack>
        </PageSection>
    );
}
