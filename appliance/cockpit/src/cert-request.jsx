/* "Create request": `sbc cert csr --json --fqdn ... [--san ...] [--org] [--country]` makes
 * a new key (kept on the box as sbc.key.pending) and the CSR, shown with Copy and
 * Download. The current certificate stays in use until the signed one is imported. */
import React, { useState } from 'react';
import {
    Alert, Button, ClipboardCopyButton, CodeBlock, CodeBlockAction, CodeBlockCode, Form,
    FormGroup, FormHelperText, HelperText, HelperTextItem, Modal, ModalVariant, Stack,
    StackItem, Text, TextInput,
} from '@patternfly/react-core';
import { DownloadIcon } from '@patternfly/react-icons';

import * as sbc from './sbc.js';
import { problemText } from './format.js';
import { RefusalText } from './cert-pem.jsx';
import { copyText } from './clipboard.js';

export function download(text, filename) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/pkcs10' }));
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
}

/* The CSR (`csr` of the JSON answer) with its facts, Copy and Download. */
export function CsrView({ csr }) {
    const [copied, setCopied] = useState(false);
    const filename = (csr.fqdn || 'sbc') + '.csr';
    const actions = (
        <>
            <CodeBlockAction>
                <ClipboardCopyButton id="csr-copy" textId="csr-code" aria-label="Copy to clipboard"
                                     onClick={() => copyText(csr.csr).then(() => setCopied(true), () => setCopied(false))}
                                     exitDelay={copied ? 1500 : 600} onTooltipHidden={() => setCopied(false)}
                                     variant="plain">
                    {copied ? 'Copied' : 'Copy to clipboard'}
                </ClipboardCopyButton>
            </CodeBlockAction>
            <CodeBlockAction>
                <Button variant="plain" id="csr-download" aria-label="Download" icon={<DownloadIcon />}
                        onClick={() => download(csr.csr, filename)} />
            </CodeBlockAction>
        </>
    );
    return (
        <Stack hasGutter id="csr-result" data-fqdn={csr.fqdn}>
            <StackItem>
                <Text id="csr-facts">Subject <strong>{csr.subject}</strong>, names {(csr.sans || []).join(', ')}
                    {csr.key_size ? ', RSA ' + csr.key_size + ' bits' : ''}.</Text>
            </StackItem>
            <StackItem>
                <CodeBlock actions={actions} id="csr-block">
                    <CodeBlockCode id="csr-code">{csr.csr}</CodeBlockCode>
                </CodeBlock>
            </StackItem>
            <StackItem>
                <Button variant="secondary" icon={<DownloadIcon />} id="csr-download-button"
                        onClick={() => download(csr.csr, filename)}>Download {filename}</Button>
            </StackItem>
            <StackItem>
                <Text>Send this request to your CA and ask for a TLS certificate with Server and
                    Client Authentication. The private key stays on this box; the current
                    certificate stays in use until you import the signed one
                    with <strong>Import certificate</strong>.</Text>
            </StackItem>
        </Stack>
    );
}

// Which field a `sbc cert csr` refusal is about.
function fieldOfError(error) {
    const message = (error && error.message) || '';
    if (/extra SAN/.test(message))
        return 'sans';
    if (/country/.test(message))
        return 'country';
    return 'fqdn';
}

const FIELDS = [
    { id: 'fqdn', label: 'SBC FQDN', isRequired: true,
      help: 'The name Teams connects to: the CN and the first SAN.' },
    { id: 'sans', label: 'Extra names (SANs)', placeholder: 'sbc2.example.com, *.example.com',
      help: 'Optional, separated by commas or spaces.' },
    { id: 'org', label: 'Organisation', placeholder: 'Example GmbH', help: 'Optional.' },
    { id: 'country', label: 'Country', placeholder: 'DE', help: 'Optional: a two-letter code.' },
];

export function RequestModal({ fqdn, shown, pending, onClose, onDone }) {
    const [values, setValues] = useState({ fqdn: fqdn || '', sans: '', org: '', country: '' });
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState(null);
    const [problem, setProblem] = useState('');
    const [csr, setCsr] = useState(shown || null);

    const submit = async () => {
        setBusy(true);
        setError(null);
        setProblem('');
        const r = await sbc.certCsr({
            fqdn: values.fqdn.trim(),
            sans: values.sans.split(/[\s,;]+/).filter(Boolean),
            org: values.org.trim(),
            country: values.country.trim(),
        });
        setBusy(false);
        if (r.json && r.json.ok) {
            setCsr(r.json);
            onDone();
        } else if (r.json && r.json.error) {
            setError(r.json.error);
        } else {
            setProblem(problemText(r, 'sbc cert csr'));
        }
    };

    const errorField = error ? fieldOfError(error) : null;
    const actions = csr
        ? [<Button key="close" variant="primary" id="csr-close" onClick={onClose}>Close</Button>]
        : [
            <Button key="create" variant="primary" id="csr-submit" onClick={submit}
                    isDisabled={busy || !values.fqdn.trim()} isLoading={busy}>Create request</Button>,
            <Button key="cancel" variant="link" onClick={onClose}>Cancel</Button>,
        ];
    return (
        <Modal id="csr-modal" variant={ModalVariant.medium} isOpen onClose={onClose} actions={actions}
               title={csr ? 'Certificate request for ' + csr.fqdn : 'Create a certificate request'}
               description={csr ? null : 'Makes a new private key on this box and a request (CSR) for your CA.'}>
            {csr
                ? <CsrView csr={csr} />
                : <Form onSubmit={e => { e.preventDefault(); submit() }}>
                    {pending &&
                        <Alert variant="warning" isInline id="csr-replaces"
                               title={'A request for ' + pending.fqdn + ' is already waiting'}>
                            A new request makes a new key: the certificate for the waiting request
                            can then no longer be imported.
                        </Alert>}
                    {FIELDS.map(f => (
                        <FormGroup key={f.id} label={f.label} fieldId={'csr-' + f.id} isRequired={f.isRequired}>
                            <TextInput id={'csr-' + f.id} value={values[f.id]} placeholder={f.placeholder}
                                       isDisabled={busy} validated={errorField === f.id ? 'error' : 'default'}
                                       onChange={(_e, v) => setValues({ ...values, [f.id]: v })} />
                            <FormHelperText>
                                <HelperText>
                                    {errorField === f.id
                                        ? <RefusalText error={error} idPrefix={'csr-' + f.id} />
                                        : <HelperTextItem>{f.help}</HelperTextItem>}
                                </HelperText>
                            </FormHelperText>
                        </FormGroup>
                    ))}
                    {busy && <Alert variant="info" isInline isPlain title="Making a 2048-bit RSA key ..." />}
                    {problem && <Alert variant="danger" isInline id="csr-problem" title={problem} />}
                </Form>}
        </Modal>
    );
}
