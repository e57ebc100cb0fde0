/* Wireshark display filters for the SIP trace, each with a copy button and one line on
 * what it shows. Replace "..." with the value you look for. */
import React, { useState } from 'react';
import { Card, CardBody, CardTitle, ClipboardCopyButton, Text, Title } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { copyText } from './clipboard.js';

export const FILTERS = [
    { filter: 'sip', what: 'Every SIP message (the trace holds nothing else).' },
    { filter: 'sip.Method == "OPTIONS"', what: 'The OPTIONS keepalives each side sends (only when the trace includes OPTIONS).' },
    { filter: 'sip.CSeq.method == "OPTIONS"', what: 'OPTIONS and their answers: a missing 200 OK is why a connection is down.' },
    { filter: 'sip.Status-Code >= 400', what: 'Refusals and failures: 401/407 challenges, 403, 404, 408, 486, 488, 503 ...' },
    { filter: 'sip.CSeq.method == "INVITE"', what: 'Call set-ups and every answer to them (100, 180/183, 200, errors).' },
    { filter: 'sip.Call-ID == "..."', what: 'One call: all its messages (take the Call-ID from any message of it).' },
    { filter: 'sip.from.user contains "..."', what: 'Calls from a number (or part of it), e.g. "+4930".' },
    { filter: 'sip.to.user contains "..."', what: 'Calls to a number (or part of it).' },
    { filter: 'sip.CSeq.method == "REGISTER"', what: 'Registration with the provider and its answers.' },
    { filter: 'tcp.port == 5061', what: 'The TLS side (Teams), here already decrypted.' },
    { filter: 'sdp', what: 'Messages with SDP: the media addresses, ports and codecs offered and answered.' },
    { filter: 'tls.handshake', what: 'TLS handshakes: only in a tcpdump capture of the interface; this trace holds decrypted SIP and has none.' },
];

function FilterRow({ index, filter, what }) {
    const [copied, setCopied] = useState(false);
    const id = 'trace-filter-' + index;
    const onCopy = () => copyText(filter).then(() => {
        setCopied(true);
        document.getElementById(id).setAttribute('data-copied', filter);
    }, () => setCopied(false));
    return (
        <Tr id={id} data-filter={filter}>
            <Td dataLabel="Filter" modifier="nowrap">
                <code id={id + '-text'} className="trace-filter-text">{filter}</code>
                <ClipboardCopyButton id={id + '-copy'} textId={id + '-text'} variant="plain"
                                     aria-label={'Copy ' + filter} onClick={onCopy}
                                     exitDelay={copied ? 1500 : 600} onTooltipHidden={() => setCopied(false)}>
                    {copied ? 'Copied' : 'Copy'}
                </ClipboardCopyButton>
            </Td>
            <Td dataLabel="Shows" id={id + '-what'}>{what}</Td>
        </Tr>
    );
}

export function TraceFilters() {
    return (
        <Card id="trace-filters">
            <CardTitle><Title headingLevel="h2" size="lg">Wireshark display filters</Title></CardTitle>
            <CardBody>
                <Text component="p" className="pf-v5-u-mb-md">
                    Type one into Wireshark's display filter bar (or <code>tshark -Y</code>); replace <code>...</code> with
                    the value you look for. Combine them with <code>{'&&'}</code> and <code>{'||'}</code>.
                </Text>
                <Table aria-label="Wireshark display filters" variant="compact">
                    <Thead><Tr><Th>Filter</Th><Th width={50}>Shows</Th></Tr></Thead>
                    <Tbody>
                        {FILTERS.map((f, i) => <FilterRow key={f.filter} index={i} {...f} />)}
                    </Tbody>
                </Table>
            </CardBody>
        </Card>
    );
}
