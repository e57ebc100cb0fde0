/* SIP trace: `sbc trace start [--include-options]` / `sbc trace stop`; Download reads
 * the pcap named by the status's trace.path (else the config's) with cockpit.file.
 * "Include OPTIONS" is on by default while a connection is down. */
import React, { useEffect, useState } from 'react';
import {
    Alert, Button, Card, CardBody, CardTitle, DescriptionList, DescriptionListDescription,
    DescriptionListGroup, DescriptionListTerm, Flex, FlexItem, HelperText, HelperTextItem, PageSection, Stack, StackItem,
    Switch, Title,
} from '@patternfly/react-core';

import * as sbc from './sbc.js';
import { StatusProblem } from './common.jsx';
import { connectionDown, problemText } from './format.js';

export function TracePage({ status, doctor, loadStatus }) {
    const doc = status && status.ok ? status.json : null;
    const trace = (doc && doc.trace) || {};
    const down = doc ? (doc.connections || []).filter(connectionDown).map(c => c.name) : [];
    const anyDown = down.length > 0;
    const [includeOptions, setIncludeOptions] = useState(null); // null: the default
    const [configPath, setConfigPath] = useState(null);
    const [message, setMessage] = useState(null); // {variant, text}
    const [running, setRunning] = useState(null); // what the last start/stop did

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
    };

    const download = async () => {
        if (!path) {
            setMessage({ variant: 'warning', text: "The trace file's location is not known yet." });
            return;
        }
        try {
            const data = await sbc.readFile(path);
            if (!data) {
                setMessage({ variant: 'warning', text: 'No trace file yet: ' + path });
                return;
            }
            const blob = new Blob([data], { type: 'application/vnd.tcpdump.pcap' });
            const link = document.createElement('a');
            link.href = URL.createObjectURL(blob);
            link.download = path.split('/').pop();
            document.body.appendChild(link);
            link.click();
            link.remove();
            setMessage({ variant: 'success', text: 'Downloaded ' + path + ' (' + data.length + ' bytes).' });
        } catch (ex) {
            setMessage({ variant: 'danger', text: 'Reading ' + path + ' failed: ' + (ex.message || ex) });
        }
    };

    let state = 'unknown';
    if (active === true)
        state = 'running';
    else if (active === false)
        state = 'stopped';
    return (
        <PageSection>
            <Stack hasGutter>
                <StackItem><StatusProblem status={status} doctor={doctor} /></StackItem>
                <StackItem>
                    <Card>
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
                                    </DescriptionList>
                                </StackItem>
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
                                        <FlexItem><Button variant="secondary" id="trace-download" onClick={download}>Download</Button></FlexItem>
                                    </Flex>
                                </StackItem>
                                {message &&
                                    <StackItem>
                                        <Alert variant={message.variant} isInline isPlain id="trace-message" title={message.text} />
                                    </StackItem>}
                            </Stack>
                        </CardBody>
                    </Card>
                </StackItem>
            </Stack>
        </PageSection>
    );
}
