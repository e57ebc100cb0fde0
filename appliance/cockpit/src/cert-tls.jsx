/* "Test a TLS connection": `sbc tls-check --json HOST[:PORT]` (port 5061 by default,
 * presenting the SBC's certificate) and its answer in words. */
import React, { useState } from 'react';
import {
    Alert, Button, Card, CardBody, CardTitle, DescriptionList, DescriptionListDescription,
    DescriptionListGroup, DescriptionListTerm, Form, FormGroup, FormHelperText, HelperText,
    HelperTextItem, InputGroup, InputGroupItem, Stack, StackItem, TextInput, Title,
} from '@patternfly/react-core';

import * as sbc from './sbc.js';
import { Words } from './common.jsx';
import { problemText } from './format.js';

// TlsCheckResult.kind in words, for the title; the explanation says the rest.
const KINDS = {
    dns: 'the name does not resolve',
    refused: 'connection refused',
    timeout: 'no answer (timeout)',
    unreachable: 'host unreachable',
    not_tls: 'not a TLS server',
    unknown_issuer: "the server certificate's issuer is not trusted",
    name_mismatch: 'the server certificate is for another name',
    expired: 'the server certificate has expired',
    not_yet_valid: 'the server certificate is not valid yet',
    untrusted: 'the server certificate is not trusted',
    client_cert_missing: 'the server wants the SBC certificate',
    client_cert_rejected: 'the server rejected the SBC certificate',
    protocol: 'TLS protocol error',
    tls: 'TLS error',
    config: "the SBC's own certificate files are unusable",
};

function Fact({ term, children, id }) {
    return (
        <DescriptionListGroup>
            <DescriptionListTerm>{term}</DescriptionListTerm>
            <DescriptionListDescription id={id}>{children}</DescriptionListDescription>
        </DescriptionListGroup>
    );
}

export function TlsResult({ target, result }) {
    if (!result.json) {
        return <Alert variant="danger" isInline id="tls-result" title={'The test did not run: ' + problemText(result, 'sbc tls-check')} />;
    }
    const a = result.json;
    if (a.error) {
        return (
            <Alert variant="danger" isInline id="tls-result" data-kind="usage" title="The test did not run">
                <Words text={a.error.message} />
            </Alert>
        );
    }
    const d = a.details || {};
    const where = (d.host || target) + (d.port ? ':' + d.port : '');
    const chain = d.peer_chain || [];
    return (
        <Alert variant={a.ok ? 'success' : 'danger'} isInline id="tls-result" data-kind={a.kind}
               title={a.ok ? 'Connected to ' + where : 'Connection to ' + where + ' failed: ' + (KINDS[a.kind] || a.kind)}>
            <Stack hasGutter>
                <StackItem><p id="tls-explanation"><Words text={a.explanation} /></p></StackItem>
                <StackItem>
                    <DescriptionList isHorizontal isCompact>
                        {d.address && d.address !== d.host && <Fact term="Address">{d.address}</Fact>}
                        <Fact term="Our certificate">{d.client_certificate || 'none presented'}</Fact>
                        {d.certificate_requested !== undefined && d.certificate_requested !== null &&
                            <Fact term="Server asked for it">{d.certificate_requested ? 'yes' : 'no'}</Fact>}
                        {d.protocol && <Fact term="Protocol">{d.protocol + (d.cipher ? ', ' + d.cipher : '')}</Fact>}
                        {chain.length > 0 &&
                            <Fact term="Server certificates" id="tls-chain">
                                <ol>{chain.map((c, i) => (
                                    <li key={i}>{c.subject} (issued by {c.issuer}, until {String(c.not_after || '').slice(0, 10)})</li>
                                ))}</ol>
                            </Fact>}
                        {d.alert_received && <Fact term="Alert from the server">{d.alert_received}</Fact>}
                    </DescriptionList>
                </StackItem>
                {(d.notes || []).length > 0 &&
                    <StackItem><ul>{d.notes.map((n, i) => <li key={i}><Words text={n} /></li>)}</ul></StackItem>}
            </Stack>
        </Alert>
    );
}

export function TlsCheckCard() {
    const [target, setTarget] = useState('');
    const [busy, setBusy] = useState(false);
    const [result, setResult] = useState(null); // {target, result}

    const submit = async () => {
        const t = target.trim();
        if (!t)
            return;
        setBusy(true);
        setResult(null);
        const r = await sbc.tlsCheck(t);
        setResult({ target: t, result: r });
        setBusy(false);
    };
    return (
        <Card id="tls-check">
            <CardTitle><Title headingLevel="h2" size="lg">Test a TLS connection</Title></CardTitle>
            <CardBody>
                <Stack hasGutter>
                    <StackItem>
                        <Form onSubmit={e => { e.preventDefault(); submit() }}>
                            <FormGroup label="Host" fieldId="tls-target">
                                <InputGroup>
                                    <InputGroupItem isFill>
                                        <TextInput id="tls-target" value={target} isDisabled={busy}
                                                   placeholder="sip.pstnhub.microsoft.com"
                                                   onChange={(_e, v) => setTarget(v)} />
                                    </InputGroupItem>
                                    <InputGroupItem>
                                        <Button variant="secondary" id="tls-submit" type="submit"
                                                isDisabled={busy || !target.trim()} isLoading={busy}>Test</Button>
                                    </InputGroupItem>
                                </InputGroup>
                                <FormHelperText>
                                    <HelperText>
                                        <HelperTextItem>HOST or HOST:PORT (5061 if omitted). The SBC presents its
                                            certificate, as for Teams; Microsoft's test endpoint is
                                            sip.mspki.pstnhub.microsoft.com.</HelperTextItem>
                                    </HelperText>
                                </FormHelperText>
                            </FormGroup>
                        </Form>
                    </StackItem>
                    {result && <StackItem><TlsResult target={result.target} result={result.result} /></StackItem>}
                </Stack>
            </CardBody>
        </Card>
    );
}
