/* "Add connection" and "Edit": one PatternFly Modal with a form made from the chosen
 * profile's own fields as `sbc config profiles --json` describes them (label, type,
 * default, help, choices, secret). Adding runs `sbc config add --json connection NAME
 * --profile P FIELD=VALUE ...`, editing `sbc config set --json connections.NAME.FIELD=...`
 * with only the fields changed; both validate with the code `sbc check` runs and apply
 * what the change needs. Each error is shown under the field whose setting it names
 * (`connections.NAME.FIELD`), the rest in an alert. */
import React, { useEffect, useState } from 'react';
import {
    Alert, Button, Form, FormGroup, FormSelect, FormSelectOption,
    List, ListItem, Modal, ModalVariant, Switch, Text,
    TextArea, TextContent, TextInput,
} from '@patternfly/react-core';

import * as sbc from './sbc.js';
import { problemText } from './format.js';
import { FieldHelper as Helper, Words } from './common.jsx';

export const UNCHANGED = 'unchanged';

// --- values between the form and `sbc config` ----------------------------------------

const PLAIN_ITEM = /^[A-Za-z0-9._/+-]+$/;

/* A list as typed (one per line or comma-separated) as one line of flow YAML. */
export function listYaml(text) {
    const items = String(text || '').split(/[\n,]+/).map(s => s.trim()).filter(Boolean);
    if (!items.length)
        return '';
    return '[' + items.map(i => (PLAIN_ITEM.test(i) ? i : JSON.stringify(i))).join(', ') + ']';
}

function mappingYaml(value) {
    const items = Object.entries(value || {});
    if (!items.length)
        return '';
    return '{' + items.map(([k, v]) => k + ': ' + JSON.stringify(String(v))).join(', ') + '}';
}

export function isSwitch(field) {
    return field.kind === 'boolean';
}

export function isSelect(field) {
    return !isSwitch(field) && Array.isArray(field.choices) && field.choices.length > 0;
}

/* What the form control holds for a value as `sbc config` gives it. */
export function formValue(field, value) {
    if (isSwitch(field))
        return value === true || value === 'true';
    if (value === null || value === undefined)
        return '';
    if (Array.isArray(value))
        return value.join('\n');
    if (typeof value === 'object')
        return mappingYaml(value);
    return String(value);
}

/* The value `FIELD=VALUE` carries for what the control holds ('' = not given). */
export function sentValue(field, value) {
    if (isSwitch(field))
        return value ? 'true' : 'false';
    if (field.kind === 'list')
        return listYaml(value);
    return String(value === null || value === undefined ? '' : value).trim();
}

/* The control's starting value when adding: switches and selects show the default,
 * text fields are empty (the default is their placeholder, and applies when empty). */
function addValue(field) {
    if (isSwitch(field))
        return formValue(field, field.default);
    if (isSelect(field))
        return field.default === null ? '' : String(field.default);
    return '';
}

/* `FIELD=VALUE` for `sbc config add`: what differs from the profile's default. */
export function addAssignments(profile, values) {
    const out = [];
    for (const f of profile.fields) {
        const v = sentValue(f, values[f.name]);
        if (v === '')
            continue;
        if (!f.required && v === sentValue(f, addValue(f)))
            continue; // the default: nothing written
        out.push(f.name + '=' + v);
    }
    return out;
}

/* `connections.NAME.FIELD=VALUE` for `sbc config set`: only what was changed; a text
 * field emptied removes the setting (its default applies), a secret is sent only when
 * typed. */
export function editAssignments(profile, name, values, initial) {
    const out = [];
    for (const f of profile.fields) {
        const now = sentValue(f, values[f.name]);
        if (f.secret ? now === '' : now === sentValue(f, initial[f.name]))
            continue;
        out.push('connections.' + name + '.' + f.name + '=' + now);
    }
    return out;
}

/* Which input an error names: a field of the profile, 'name' or 'profile', or null. */
export function fieldOf(issue, name, profile) {
    const setting = (issue && issue.field) || '';
    const entry = 'connections.' + name;
    if (setting === entry)
        return 'name';
    if (!setting.startsWith(entry + '.'))
        return null;
    const rest = setting.slice(entry.length + 1);
    if (rest === 'name' || rest === 'profile')
        return rest;
    const field = profile && profile.fields.find(f => rest === f.name || rest.startsWith(f.name + '.') ||
                                                       rest.startsWith(f.name + '['));
    return field ? field.name : null;
}

export function expandedNames(profile, name) {
    return (profile && profile.expand ? profile.expand : []).map(t => ({
        name: (name || profile.default_name) + t.suffix,
        target: t.host + (t.port ? ':' + t.port : ''),
    }));
}

export function appliedText(answer, what) {
    if (!answer.saved)
        return 'Nothing changed.';
    if (answer.applied && answer.applied.length)
        return what + ': saved and applied (' + answer.applied.join(', ') + ').';
    return what + ': saved.';
}

/* Media bypass switched in this form: true (on), false (off) or null (as it was, or not a
 * field of this profile). Teams has one -MediaBypass per gateway, set on its side too. */
export function bypassChange(profile, values, initial) {
    const field = profile && profile.fields.find(f => f.setting === 'media_bypass');
    if (!field)
        return null;
    const value = values[field.name] === undefined ? addValue(field) : values[field.name];
    const now = Boolean(value);
    const before = initial ? Boolean(initial[field.name]) : formValue(field, field.default);
    return now === before ? null : now;
}

export function bypassText(on) {
    if (on)
        return 'Teams clients then send their media straight to sbc.public_ip: it must be a public ' +
            'address, with the media ports (UDP media.port_min to port_max) open from anywhere; the ' +
            'Overview\'s checks (`sbc doctor`) test both. Teams must match: after saving, run ' +
            '`Set-CsOnlinePSTNGateway -Identity <SBC FQDN> -MediaBypass $true` (the Teams section shows ' +
            'the commands for this box).';
    return 'Teams must match: after saving, run `Set-CsOnlinePSTNGateway -Identity <SBC FQDN> ' +
        '-MediaBypass $false`, or Teams clients keep sending media straight to the SBC.';
}

// A help that only lists the setting's values (transport: "udp, tcp or tls") says less
// than the select, and may name values this profile does not offer.
const ONLY_VALUES = /^[\w-]+(, [\w-]+)*( or [\w-]+)?$/;

export function helpText(field) {
    const parts = [];
    const help = field.help && !(isSelect(field) && ONLY_VALUES.test(field.help)) ? field.help : '';
    if (help)
        parts.push(help.charAt(0).toUpperCase() + help.slice(1));
    if (field.kind === 'list')
        parts.push('One per line or comma-separated');
    else if (field.kind === 'mapping')
        parts.push('One line: {Header-Name: value, ...}');
    else if (field.kind === 'e164')
        parts.push('E.164, e.g. +4930123456');
    else if (field.kind === 'integer')
        parts.push(field.type);
    return parts.join('. ') + (parts.length ? '.' : '');
}

function placeholder(field, editing) {
    if (field.secret)
        return editing ? UNCHANGED : '';
    if (field.required)
        return '';
    const d = field.default;
    if (d === null || d === undefined || (Array.isArray(d) && !d.length) ||
            (typeof d === 'object' && !Array.isArray(d) && !Object.keys(d).length))
        return 'empty: the default';
    return (Array.isArray(d) ? d.join(', ') : formValue(field, d)) + ' (default)';
}

// --- the form ------------------------------------------------------------------------

function FieldControl({ field, value, error, editing, onChange }) {
    const id = 'conn-field-' + field.name;
    const validated = error ? 'error' : 'default';
    if (isSwitch(field))
        return <Switch id={id} name={field.name} isChecked={Boolean(value)} aria-invalid={Boolean(error)}
                       label="On" labelOff="Off" onChange={(_e, v) => onChange(v)} />;
    if (isSelect(field)) {
        const choices = field.choices.map(String);
        return (
            <FormSelect id={id} name={field.name} value={value} validated={validated}
                        aria-invalid={Boolean(error)} onChange={(_e, v) => onChange(v)}>
                {(value === '' || !choices.includes(value)) &&
                    <FormSelectOption value={value} label={value || 'Choose ...'} isPlaceholder />}
                {choices.map(c => <FormSelectOption key={c} value={c} label={c} />)}
            </FormSelect>
        );
    }
    if (field.kind === 'list')
        return <TextArea id={id} name={field.name} value={value} validated={validated} rows={2}
                         aria-invalid={Boolean(error)} resizeOrientation="vertical"
                         placeholder={placeholder(field, editing)} onChange={(_e, v) => onChange(v)} />;
    return <TextInput id={id} name={field.name} value={value} validated={validated}
                      aria-invalid={Boolean(error)} autoComplete={field.secret ? 'new-password' : 'off'}
                      type={field.secret ? 'password' : 'text'}
                      inputMode={field.kind === 'integer' ? 'numeric' : undefined}
                      placeholder={placeholder(field, editing)} onChange={(_e, v) => onChange(v)} />;
}

function byLabel(a, b) {
    return String(a.label).localeCompare(String(b.label));
}

/* The modal. `entry` ({name, profile}) edits that entry, else a new one is added.
 * `onDone(text, answer)` after a save: the page says what happened and reloads. */
export function ConnectionModal({ profiles, entry, onClose, onDone }) {
    const editing = Boolean(entry);
    const [profileName, setProfileName] = useState(editing ? entry.profile : '');
    const [name, setName] = useState(editing ? entry.name : '');
    const [nameTouched, setNameTouched] = useState(editing);
    const [values, setValues] = useState({});
    const [initial, setInitial] = useState(null); // edit: the values read
    const [answer, setAnswer] = useState(null); // the last `sbc config` answer
    const [failure, setFailure] = useState(null); // the command did not answer
    const [busy, setBusy] = useState(editing);

    const profile = profiles.find(p => p.name === profileName) || null;

    useEffect(() => {
        if (!editing)
            return;
        if (!profile) {
            setBusy(false);
            setFailure('Profile ' + entry.profile + ' is unknown: the entry can only be removed or edited in sbc.yaml.');
            return;
        }
        sbc.configShowKey('connections.' + entry.name).then(r => {
            setBusy(false);
            if (!r.json || !r.json.ok) {
                setFailure('Reading the connection failed: ' +
                    (r.json ? r.json.errors.map(e => e.text).join('; ') : problemText(r, 'sbc config show')));
                return;
            }
            const v = {};
            for (const f of profile.fields) {
                const s = r.json.settings['connections.' + entry.name + '.' + f.name] || {};
                if (f.secret)
                    v[f.name] = '';
                else if (isSwitch(f) || isSelect(f))
                    v[f.name] = formValue(f, s.value);
                else
                    v[f.name] = s.given ? formValue(f, s.value) : '';
            }
            setValues(v);
            setInitial(v);
        });
    }, []);

    const chooseProfile = pname => {
        const p = profiles.find(x => x.name === pname);
        setProfileName(pname);
        setAnswer(null);
        setFailure(null);
        const v = {};
        for (const f of (p ? p.fields : []))
            v[f.name] = addValue(f);
        setValues(v);
        if (p && !nameTouched)
            setName(p.default_name);
    };

    const submit = async () => {
        if (!profile)
            return;
        const theName = name.trim();
        let r;
        setBusy(true);
        setFailure(null);
        if (editing) {
            const assignments = editAssignments(profile, theName, values, initial);
            if (!assignments.length) {
                setBusy(false);
                onDone('Nothing changed.', null, theName);
                return;
            }
            r = await sbc.configSet(assignments, false);
        } else {
            r = await sbc.configAddConnection(theName, profile.name, addAssignments(profile, values));
        }
        setBusy(false);
        if (!r.json) {
            setAnswer(null);
            setFailure((editing ? 'Saving' : 'Adding') + ' failed: ' +
                problemText(r, editing ? 'sbc config set' : 'sbc config add'));
            return;
        }
        setAnswer(r.json);
        if (r.json.saved || r.json.ok)
            onDone(appliedText(r.json, (editing ? 'Changed ' : 'Added ') + theName), r.json, theName);
    };

    const errors = (answer && answer.errors) || [];
    const fieldErrors = {};
    for (const e of errors) {
        const f = fieldOf(e, name.trim(), profile);
        if (f && !fieldErrors[f])
            fieldErrors[f] = e.message || e.text;
    }
    const other = errors.filter(e => !fieldOf(e, name.trim(), profile));
    const expanded = expandedNames(profile, name.trim());
    const bypass = profile && (!editing || initial) ? bypassChange(profile, values, initial) : null;
    const choices = profiles.filter(p => p.usable || p.name === profileName).slice().sort(byLabel);

    return (
        <Modal id="connection-modal" variant={ModalVariant.medium} isOpen
               title={editing ? 'Edit connection ' + entry.name : 'Add connection'}
               description={editing
                   ? 'An empty field takes the profile\'s default; a password stays unless you type a new one.'
                   : 'Choose the provider profile; it fixes everything but the fields below.'}
               onClose={onClose}
               actions={[
                   <Button key="submit" id="connection-submit" variant="primary"
                           isDisabled={!profile || busy || (editing && !initial)} isLoading={busy && (!editing || Boolean(initial))}
                           onClick={submit}>{editing ? 'Save' : 'Add'}</Button>,
                   <Button key="cancel" id="connection-cancel" variant="link" onClick={onClose}>Cancel</Button>,
               ]}>
            <Form id="connection-form" onSubmit={e => { e.preventDefault(); submit() }}>
                <FormGroup label="Provider profile" fieldId="connection-profile" isRequired={!editing}>
                    <FormSelect id="connection-profile" value={profileName} isDisabled={editing}
                                validated={fieldErrors.profile ? 'error' : 'default'}
                                onChange={(_e, v) => chooseProfile(v)}>
                        {!profileName && <FormSelectOption value="" label="Choose a profile ..." isPlaceholder />}
                        {choices.map(p => (
                            <FormSelectOption key={p.name} value={p.name} isDisabled={!p.usable}
                                              label={p.usable ? p.label : p.label + ' (broken: see sbc check)'} />
                        ))}
                        {editing && !profile && <FormSelectOption value={profileName} label={profileName} />}
                    </FormSelect>
                    <Helper id="connection-profile" error={fieldErrors.profile}
                            help={profile ? profile.description : ''} />
                </FormGroup>
                <FormGroup label="Name" fieldId="connection-name" isRequired={!editing}>
                    <TextInput id="connection-name" value={name} isDisabled={editing || !profile}
                               autoComplete="off" validated={fieldErrors.name ? 'error' : 'default'}
                               aria-invalid={Boolean(fieldErrors.name)}
                               onChange={(_e, v) => { setName(v); setNameTouched(true) }} />
                    <Helper id="connection-name" error={fieldErrors.name}
                            help={editing ? 'Routes and logs use this name; to rename, remove and add again.'
                                : 'Routes and logs use this name (letters, digits, ".", "_", "-").'} />
                </FormGroup>
                {expanded.length > 0 &&
                    <Alert variant="info" isInline id="connection-expand"
                           title={'This makes ' + expanded.length + ' connections, tried in this order'}>
                        <List>
                            {expanded.map(c => (
                                <ListItem key={c.name} data-name={c.name}>
                                    <strong>{c.name}</strong>: {c.target}
                                </ListItem>
                            ))}
                        </List>
                    </Alert>}
                {editing && !initial && !failure &&
                    <TextContent><Text id="connection-loading">Reading sbc.yaml ...</Text></TextContent>}
                {profile && (!editing || initial) && profile.fields.map(f => (
                    <FormGroup key={f.name} label={f.label} fieldId={'conn-field-' + f.name}
                               isRequired={f.required} data-field={f.name}>
                        <FieldControl field={f} value={values[f.name] === undefined ? addValue(f) : values[f.name]}
                                      error={fieldErrors[f.name]} editing={editing}
                                      onChange={v => setValues({ ...values, [f.name]: v })} />
                        <Helper id={'conn-field-' + f.name} error={fieldErrors[f.name]} help={helpText(f)} />
                    </FormGroup>
                ))}
                {bypass !== null &&
                    <Alert variant="info" isInline id="connection-bypass" data-on={String(bypass)}
                           title={bypass ? 'Media bypass on' : 'Media bypass off'}>
                        <Words text={bypassText(bypass)} />
                    </Alert>}
                {profile && !profile.fields.length &&
                    <TextContent><Text>This profile takes no settings.</Text></TextContent>}
                {other.length > 0 &&
                    <Alert variant="danger" isInline id="connection-errors"
                           title={'sbc check refuses this connection'}>
                        <ul>{other.map((e, i) => <li key={i}>{e.text}</li>)}</ul>
                    </Alert>}
                {failure && <Alert variant="danger" isInline id="connection-failure" title={failure} />}
            </Form>
        </Modal>
    );
}
