/* "Import certificate" and "Add a root CA": the text goes to `sbc cert import - --json`
 * (checked against the SBC's FQDN) or `sbc cert add-ca - --json` on stdin. A refusal is
 * shown under the field with its check and hint; after a successful import the SBC is
 * reloaded (`systemctl reload-or-restart opensbc.service`) so new TLS connections use it. */
import React, { useState } from 'react';
import {
    Alert, Button, Form, List, ListItem, Modal, ModalVariant, Stack, StackItem, Text,
} from '@patternfly/react-core';

import * as sbc from './sbc.js';
import { LevelIcon, Words } from './common.jsx';
import { problemText } from './format.js';
import { PemField, emptyField } from './cert-pem.jsx';

function until(iso) {
    return iso ? String(iso).slice(0, 16).replace('T', ' ') + ' UTC' : '';
}

/* Runs the reload and says what it did. */
async function reload(what) {
    const r = await sbc.reloadSbc();
    return r.ok
        ? { variant: 'success', text: 'The SBC was reloaded: ' + what + '.' }
        : { variant: 'danger', text: 'Reloading the SBC failed: ' + problemText(r, 'systemctl reload opensbc') };
}

function Reloaded({ reloaded }) {
    if (!reloaded)
        return null;
    return <Alert variant={reloaded.variant} isInline isPlain id="cert-reloaded" title={reloaded.text} />;
}

function ImportedFacts({ answer }) {
    const i = answer.installed || {};
    const chain = [i.subject, ...(i.chain || [])].join(' → ') + (i.anchor ? ' → root ' + i.anchor : '');
    return (
        <Alert variant="success" isInline id="import-done" title={'Installed the certificate for ' + i.fqdn}>
            <p>Issued by {i.issuer}, valid until {until(i.not_after)}.</p>
            <p id="import-chain">Chain sent: {chain}</p>
            {(i.added_roots || []).length > 0 &&
                <p id="import-roots">Root added to the trust store: {i.added_roots.join(', ')}</p>}
        </Alert>
    );
}

export function ImportWarnings({ answer }) {
    const findings = answer.findings || [];
    const known = new Set(findings.map(f => f.message + (f.hint ? ' (' + f.hint + ')' : '')));
    const other = (answer.warnings || []).filter(w => !known.has(w));
    if (!findings.length && !other.length)
        return null;
    return (
        <Alert variant="warning" isInline id="import-warnings" title="Installed with warnings">
            <List isPlain>
                {findings.map((f, i) => (
                    <ListItem key={'f' + i} icon={<LevelIcon level={f.level} />} data-check={f.check}>
                        <div>
                            <strong>{f.check}</strong>: <Words text={f.message} />
                            {f.hint && <div>What to do: <Words text={f.hint} /></div>}
                        </div>
                    </ListItem>
                ))}
                {other.map((w, i) => (
                    <ListItem key={'w' + i} icon={<LevelIcon level="warn" />}><Words text={w} /></ListItem>
                ))}
            </List>
        </Alert>
    );
}

export function ImportModal({ fqdn, onClose, onDone }) {
    const [cert, setCert] = useState(emptyField);
    const [chain, setChain] = useState(emptyField);
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState(null); // the refusal {check, message, hint}
    const [problem, setProblem] = useState(''); // the command did not answer
    const [answer, setAnswer] = useState(null); // a successful import
    const [reloaded, setReloaded] = useState(null);

    const submit = async () => {
        setBusy(true);
        setError(null);
        setProblem('');
        const pem = [cert.value, chain.value].filter(t => t.trim()).join('\n');
        const r = await sbc.certImport(pem, fqdn);
        if (r.json && r.json.ok) {
            setAnswer(r.json);
            setReloaded({ variant: 'info', text: 'Reloading the SBC ...' });
            setReloaded(await reload('new TLS connections use the new certificate'));
            onDone();
        } else if (r.json && r.json.error) {
            setError(r.json.error);
        } else {
            setProblem(problemText(r, 'sbc cert import'));
        }
        setBusy(false);
    };

    const done = Boolean(answer);
    const actions = done
        ? [<Button key="close" variant="primary" id="import-close" onClick={onClose}>Close</Button>]
        : [
            <Button key="import" variant="primary" id="import-submit" onClick={submit}
                    isDisabled={busy || !cert.value.trim()} isLoading={busy}>Import and reload</Button>,
            <Button key="cancel" variant="link" onClick={onClose}>Cancel</Button>,
        ];
    return (
        <Modal id="import-modal" variant={ModalVariant.medium} title="Import certificate" isOpen
               onClose={onClose} actions={actions}
               description={'The certificate your CA issued for the request, with its chain. It is checked ' +
                            'before it is installed' + (fqdn ? ' (for ' + fqdn + ')' : '') +
                            '; the current certificate stays in use when it is refused.'}>
            {done
                ? <Stack hasGutter>
                    <StackItem><ImportedFacts answer={answer} /></StackItem>
                    <StackItem><ImportWarnings answer={answer} /></StackItem>
                    <StackItem><Reloaded reloaded={reloaded} /></StackItem>
                </Stack>
                : <Form onSubmit={e => { e.preventDefault(); submit() }}>
                    <PemField id="import-cert" label="Certificate (may hold the chain too)" field={cert}
                              onChange={setCert} error={error} isRequired isDisabled={busy}
                              helper="The .crt, .pem or .cer file from your CA, or its text." />
                    <PemField id="import-chain" label="Chain (intermediates, optional root)" field={chain}
                              onChange={setChain} isDisabled={busy}
                              helper="Only when the CA sent the chain as a separate file." />
                    {problem && <Alert variant="danger" isInline id="import-problem" title={problem} />}
                </Form>}
        </Modal>
    );
}

export function AddRootModal({ onClose, onDone }) {
    const [root, setRoot] = useState(emptyField);
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState(null);
    const [problem, setProblem] = useState('');
    const [answer, setAnswer] = useState(null);
    const [reloaded, setReloaded] = useState(null);

    const submit = async () => {
        setBusy(true);
        setError(null);
        setProblem('');
        const r = await sbc.certAddCa(root.value);
        if (r.json && r.json.ok) {
            setAnswer(r.json);
            if ((r.json.added || []).length)
                setReloaded(await reload('new TLS connections trust the added root'));
            onDone();
        } else if (r.json && r.json.error) {
            setError(r.json.error);
        } else {
            setProblem(problemText(r, 'sbc cert add-ca'));
        }
        setBusy(false);
    };

    const actions = answer
        ? [<Button key="close" variant="primary" id="addca-close" onClick={onClose}>Close</Button>]
        : [
            <Button key="add" variant="primary" id="addca-submit" onClick={submit}
                    isDisabled={busy || !root.value.trim()} isLoading={busy}>Add</Button>,
            <Button key="cancel" variant="link" onClick={onClose}>Cancel</Button>,
        ];
    return (
        <Modal id="addca-modal" variant={ModalVariant.medium} title="Add a root CA" isOpen
               onClose={onClose} actions={actions}
               description="A CA the SBC should trust for its peers (a carrier's or your own CA). It is kept across rebuilds of the trust store.">
            {answer
                ? <Stack hasGutter>
                    <StackItem>
                        <Alert variant="success" isInline id="addca-done"
                               title={answer.added.length ? 'Added: ' + answer.added.join(', ')
                                   : 'Already trusted: ' + answer.already_present.join(', ')}>
                            <Text>The trust store {answer.bundle.path} now holds {answer.bundle.total} root certificates.</Text>
                        </Alert>
                    </StackItem>
                    {answer.warnings.length > 0 &&
                        <StackItem>
                            <Alert variant="warning" isInline id="addca-warnings" title="Warnings">
                                <ul>{answer.warnings.map((w, i) => <li key={i}><Words text={w} /></li>)}</ul>
                            </Alert>
                        </StackItem>}
                    <StackItem><Reloaded reloaded={reloaded} /></StackItem>
                </Stack>
                : <Form onSubmit={e => { e.preventDefault(); submit() }}>
                    <PemField id="addca-cert" label="CA certificate" field={root} onChange={setRoot}
                              error={error} isRequired isDisabled={busy}
                              helper="The root certificate of the CA, PEM or DER." />
                    {problem && <Alert variant="danger" isInline id="addca-problem" title={problem} />}
                </Form>}
        </Modal>
    );
}
