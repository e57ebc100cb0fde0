/* VoIP parameters: `sbc config show --json` fills the form; Check and "Save and apply"
 * send every field to `sbc config set --json [--dry-run] KEY=VALUE ...`, which validates
 * with the code `sbc check` runs, saves only when valid and applies what the change
 * needs. Each error is shown next to the field whose setting it names. */
import React, { useEffect, useState } from 'react';
import {
    ActionGroup, Alert, Button, Card, CardBody, CardTitle, Form, FormGroup, FormHelperText,
    HelperText, HelperTextItem, PageSection, TextInput, Title,
} from '@patternfly/react-core';

import * as sbc from './sbc.js';
import { problemText } from './format.js';

export const FIELDS = [
    { id: 'fqdn', setting: 'sbc.fqdn', label: 'SBC FQDN', placeholder: 'sbc.example.com',
      help: 'The name Teams connects to; it must be in the SBC certificate.' },
    { id: 'public_ip', setting: 'sbc.public_ip', label: 'Public IP', placeholder: '203.0.113.10' },
    { id: 'wan_ip', setting: 'sbc.wan_ip', label: 'WAN IP (only behind 1:1 NAT)',
      placeholder: 'empty: not behind NAT' },
    { id: 'tls_port', setting: 'sbc.tls_port', label: 'SIP TLS port', inputMode: 'numeric',
      help: 'Enter the same port as SipSignalingPort in Teams.' },
    { id: 'options_interval', setting: 'sbc.options_interval', label: 'OPTIONS interval (s)',
      inputMode: 'numeric' },
];

// The field an error names: its setting, or the TLS port for sbc.listen[...].
export function fieldOf(issue) {
    const name = (issue && issue.field) || '';
    const f = FIELDS.find(f => name === f.setting || (f.id === 'tls_port' && name.startsWith('sbc.listen')));
    return f ? f.id : null;
}

function savedText(answer) {
    if (!answer.saved)
        return 'Nothing changed.';
    if (answer.applied && answer.applied.length)
        return 'Saved and applied: ' + answer.applied.join(', ') + '.';
    return 'Saved.';
}

export function VoipPage({ loadStatus, loadDoctor }) {
    const [values, setValues] = useState(null);
    const [answer, setAnswer] = useState(null); // the last `sbc config` JSON answer
    const [message, setMessage] = useState(null); // {variant, text}
    const [busy, setBusy] = useState(false);

    useEffect(() => {
        sbc.configShow().then(r => {
            if (r.json && r.json.ok) {
                const v = {};
                for (const f of FIELDS) {
                    const value = (r.json.settings[f.setting] || {}).value; // the default when not given
                    v[f.id] = value === null || value === undefined ? '' : String(value);
                }
                setValues(v);
            } else if (r.json) {
                setAnswer(r.json);
                setMessage({ variant: 'danger', text: 'Reading the configuration failed.' });
            } else {
                setMessage({ variant: 'danger', text: 'Reading the configuration failed: ' + problemText(r, 'sbc config show') });
            }
        });
    }, []);

    const submit = async save => {
        setBusy(true);
        setMessage({ variant: 'info', text: save ? 'Saving ...' : 'Checking ...' });
        const r = await sbc.configSet(FIELDS.map(f => f.setting + '=' + (values[f.id] || '').trim()), !save);
        setBusy(false);
        if (!r.json) {
            setAnswer(null);
            setMessage({ variant: 'danger', text: 'Failed: ' + problemText(r, 'sbc config set') });
            return;
        }
        const a = r.json;
        setAnswer(a);
        if (a.ok)
            setMessage({ variant: 'success', text: save ? savedText(a) : 'The configuration is valid.' });
        else
            setMessage({ variant: 'danger', text: a.saved ? 'Saved, but applying failed (see above).' : 'Not saved: fix the fields marked above.' });
        if (save && a.saved) {
            loadStatus();
            loadDoctor();
        }
    };

    const errors = (answer && answer.errors) || [];
    const fieldErrors = {};
    for (const e of errors) {
        const f = fieldOf(e);
        if (f && !fieldErrors[f])
            fieldErrors[f] = e.message || e.text;
    }
    const other = errors.filter(e => !fieldOf(e));
    const warnings = (answer && answer.warnings) || [];

    return (
        <PageSection>
            <Card>
                <CardTitle><Title headingLevel="h2" size="lg">VoIP parameters</Title></CardTitle>
                <CardBody>
                    <Form isHorizontal id="voip-form" onSubmit={e => { e.preventDefault(); submit(true) }}>
                        {FIELDS.map(f => (
                            <FormGroup key={f.id} label={f.label} fieldId={f.id}>
                                <TextInput id={f.id} name={f.id} autoComplete="off" inputMode={f.inputMode}
                                           placeholder={f.placeholder} isDisabled={!values}
                                           value={values ? values[f.id] : ''}
                                           validated={fieldErrors[f.id] ? 'error' : 'default'}
                                           aria-invalid={Boolean(fieldErrors[f.id])}
                                           onChange={(_e, v) => setValues({ ...values, [f.id]: v })} />
                                {(fieldErrors[f.id] || f.help) &&
                                    <FormHelperText>
                                        <HelperText>
                                            {fieldErrors[f.id] &&
                                                <HelperTextItem variant="error" id={f.id + '-error'}>{fieldErrors[f.id]}</HelperTextItem>}
                                            {f.help && <HelperTextItem id={f.id + '-help'}>{f.help}</HelperTextItem>}
                                        </HelperText>
                                    </FormHelperText>}
                            </FormGroup>
                        ))}
                        {(other.length > 0 || errors.length > 0) &&
                            <Alert variant="danger" isInline id="voip-errors" title="sbc check refuses this configuration">
                                <ul>{errors.map((e, i) => <li key={i}>{e.text}</li>)}</ul>
                            </Alert>}
                        {warnings.length > 0 &&
                            <Alert variant="warning" isInline id="voip-warnings" title="Warnings">
                                <ul>{warnings.map((w, i) => <li key={i}>{w.text}</li>)}</ul>
                            </Alert>}
                        {message &&
                            <Alert variant={message.variant} isInline isPlain id="voip-message" title={message.text} />}
                        <ActionGroup>
                            <Button variant="primary" id="voip-save" isDisabled={!values || busy}
                                    onClick={() => submit(true)}>Save and apply</Button>
                            <Button variant="secondary" id="voip-check" isDisabled={!values || busy}
                                    onClick={() => submit(false)}>Check</Button>
                        </ActionGroup>
                    </Form>
                </CardBody>
            </Card>
        </PageSection>
    );
}
