/* Remote syslog: one target (sbc.yaml's `syslog:` section) as a form. "Save and apply"
 * sends every field to `sbc config set --json syslog.host=... ...`, which validates with
 * `sbc check`'s code, saves only when valid and reloads the SBC; "Remove target" runs
 * `sbc config remove --json syslog`. Each error is shown under the field it names. */
import React, { useCallback, useEffect, useState } from 'react';
import {
    ActionGroup, Alert, Button, Card, CardBody, CardTitle, Form, FormGroup, FormHelperText,
    FormSelect, FormSelectOption, HelperText, HelperTextItem, Label, TextInput, Title,
} from '@patternfly/react-core';

import * as api from './logging-api.js';
import { problemText } from './format.js';

const PROTOCOLS = [
    { value: 'udp', label: 'UDP (RFC 5426)' },
    { value: 'tcp', label: 'TCP (RFC 6587)' },
    { value: 'tls', label: 'TLS (RFC 5425)' },
];
const DEFAULT_PORTS = { udp: '514', tcp: '514', tls: '6514' };

const FIELDS = {
    host: { label: 'Server IP address', placeholder: 'e.g. 192.168.10.5',
            help: 'An IP address, not a name: the SBC must log also when DNS is down. Empty: no remote syslog.' },
    port: { label: 'Port', inputMode: 'numeric', help: 'Usually 514 (UDP, TCP) or 6514 (TLS).' },
    protocol: { label: 'Protocol' },
    ca_file: { label: 'CA file', placeholder: 'empty: sbc.tls.ca_bundle',
               help: 'The roots the syslog server\'s certificate must chain to.' },
    facility: { label: 'Facility' },
    hostname: { label: 'Hostname', placeholder: 'empty: the SBC FQDN',
                help: 'The HOSTNAME field of every line.' },
};

function optionsOf(setting, fallback) {
    const type = setting && setting.type;
    return type && type.includes(' | ') ? type.split(' | ') : fallback;
}

function savedText(answer, removed) {
    if (!answer.saved)
        return 'Nothing changed.';
    const what = removed ? 'Remote syslog removed' : 'Saved';
    if (answer.applied && answer.applied.length)
        return what + ' and applied: ' + answer.applied.join(', ') + '.';
    return what + '.';
}

export function SyslogCard() {
    const [values, setValues] = useState(null);
    const [facilities, setFacilities] = useState(['local0']);
    const [configured, setConfigured] = useState(false);
    const [answer, setAnswer] = useState(null);
    const [message, setMessage] = useState(null); // {variant, text}
    const [busy, setBusy] = useState(false);

    const load = useCallback(() => api.configShow().then(r => {
        if (r.json && r.json.ok) {
            const v = api.syslogValues(r.json.settings);
            setConfigured(v.configured);
            delete v.configured;
            setValues(v);
            setFacilities(optionsOf(r.json.settings['syslog.facility'], ['local0']));
        } else {
            setMessage({ variant: 'danger', text: 'Reading the configuration failed: ' + problemText(r, 'sbc config show') });
        }
    }), []);
    useEffect(() => { load() }, [load]);

    const finish = (r, removed) => {
        setBusy(false);
        if (!r.json) {
            setAnswer(null);
            setMessage({ variant: 'danger', text: 'Failed: ' + problemText(r, 'sbc config') });
            return;
        }
        const a = r.json;
        setAnswer(a);
        if (a.ok)
            setMessage({ variant: 'success', text: savedText(a, removed) });
        else
            setMessage({ variant: 'danger', text: a.saved ? 'Saved, but applying failed (see above).' : 'Not saved: fix the fields marked above.' });
        if (a.saved)
            load();
    };

    const save = async () => {
        setBusy(true);
        setMessage({ variant: 'info', text: 'Saving ...' });
        if (!values.host.trim()) {
            finish(await api.syslogRemove(), true);
            return;
        }
        finish(await api.syslogSet(api.syslogAssignments(values)), false);
    };
    const removeTarget = async () => {
        setBusy(true);
        setMessage({ variant: 'info', text: 'Removing ...' });
        finish(await api.syslogRemove(), true);
    };

    const errors = (answer && answer.errors) || [];
    const fieldErrors = {};
    for (const e of errors) {
        const f = (e.field || '').startsWith('syslog.') ? e.field.slice(7) : null;
        if (f && FIELDS[f] && !fieldErrors[f])
            fieldErrors[f] = e.message || e.text;
    }
    const other = errors.filter(e => !(e.field || '').startsWith('syslog.'));
    const warnings = ((answer && answer.warnings) || []).filter(w => (w.field || '').startsWith('syslog'));

    const set = (f, v) => {
        const next = { ...values, [f]: v };
        // a port still at the old protocol's usual one follows the protocol
        if (f === 'protocol' && values.port === DEFAULT_PORTS[values.protocol])
            next.port = DEFAULT_PORTS[v];
        setValues(next);
    };
    const group = (f, control) => (
        <FormGroup key={f} label={FIELDS[f].label} fieldId={'syslog-' + f}>
            {control}
            {(fieldErrors[f] || FIELDS[f].help) &&
                <FormHelperText>
                    <HelperText>
                        {fieldErrors[f] &&
                            <HelperTextItem variant="error" id={'syslog-' + f + '-error'}>{fieldErrors[f]}</HelperTextItem>}
                        {FIELDS[f].help && <HelperTextItem>{FIELDS[f].help}</HelperTextItem>}
                    </HelperText>
                </FormHelperText>}
        </FormGroup>
    );
    const input = f => group(f,
        <TextInput id={'syslog-' + f} name={f} autoComplete="off" inputMode={FIELDS[f].inputMode}
                   placeholder={FIELDS[f].placeholder} isDisabled={!values}
                   value={values ? values[f] : ''}
                   validated={fieldErrors[f] ? 'error' : 'default'} aria-invalid={Boolean(fieldErrors[f])}
                   onChange={(_e, v) => set(f, v)} />);
    const select = (f, options) => group(f,
        <FormSelect id={'syslog-' + f} name={f} isDisabled={!values} value={values ? values[f] : ''}
                    validated={fieldErrors[f] ? 'error' : 'default'}
                    onChange={(_e, v) => set(f, v)} aria-label={FIELDS[f].label}>
            {options.map(o => <FormSelectOption key={o.value} value={o.value} label={o.label} />)}
        </FormSelect>);

    return (
        <Card id="syslog-card">
            <CardTitle>
                <Title headingLevel="h2" size="lg">
                    Remote syslog{' '}
                    {values && (configured
                        ? <Label color="green" isCompact id="syslog-state">on</Label>
                        : <Label isCompact id="syslog-state">off</Label>)}
                </Title>
            </CardTitle>
            <CardBody>
                <Form isHorizontal id="syslog-form" onSubmit={e => { e.preventDefault(); save() }}>
                    <p id="syslog-note">
                        The SBC sends registration results, OPTIONS state changes, TLS failures and a
                        CDR for every call to this server (RFC 5424, the facts also as structured
                        data), besides the journal below. One server can be set.
                    </p>
                    {input('host')}
                    {select('protocol', PROTOCOLS)}
                    {input('port')}
                    {values && values.protocol === 'tls' && input('ca_file')}
                    {select('facility', facilities.map(f => ({ value: f, label: f })))}
                    {input('hostname')}
                    {other.length > 0 &&
                        <Alert variant="danger" isInline id="syslog-errors" title="Not saved">
                            <ul>{other.map((e, i) => <li key={i}>{e.text}</li>)}</ul>
                        </Alert>}
                    {warnings.length > 0 &&
                        <Alert variant="warning" isInline id="syslog-warnings" title="Warnings">
                            <ul>{warnings.map((w, i) => <li key={i}>{w.message || w.text}</li>)}</ul>
                        </Alert>}
                    {message &&
                        <Alert variant={message.variant} isInline isPlain id="syslog-message" title={message.text} />}
                    <ActionGroup>
                        <Button variant="primary" id="syslog-save" isDisabled={!values || busy}
                                onClick={save}>Save and apply</Button>
                        {configured &&
                            <Button variant="secondary" isDanger id="syslog-remove" isDisabled={busy}
                                    onClick={removeTarget}>Remove target</Button>}
                    </ActionGroup>
                </Form>
            </CardBody>
        </Card>
    );
}
