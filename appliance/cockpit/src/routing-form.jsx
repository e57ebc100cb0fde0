/* "Add rule" and "Edit": a Modal with the rule's fields. `from` and `to` are ordered
 * lists of selects of the connections and groups; the rest is typed. Saving runs `sbc
 * routes add|set --json`, which validates with the code `sbc check` runs and saves only
 * when valid; each error is shown under the field it names (`routes[N].FIELD`). */
import React, { useState } from 'react';
import {
    Alert, Button, Flex, FlexItem, Form, FormGroup, FormSelect, FormSelectOption,
    Modal, ModalVariant, TextInput,
} from '@patternfly/react-core';
import { MinusCircleIcon, PlusCircleIcon } from '@patternfly/react-icons';

import * as api from './routing-api.js';
import { problemText } from './format.js';
import { FieldHelper as Helper } from './common.jsx';

export const TEXT_FIELDS = [
    { key: 'called', label: 'Called number matches', placeholder: 'empty: any number',
      help: 'A regular expression searched in the called number in E.164 (+4930...), e.g. ^\\+4930123456(\\d+)$. Parentheses capture digits for the rewrite.' },
    { key: 'rewrite_called', label: 'Rewrite the called number to', placeholder: 'empty: unchanged',
      help: 'The new number; \\1, \\2 ... stand for the captured digits, e.g. +4930123456\\1.' },
    { key: 'calling', label: 'Calling number matches', placeholder: 'empty: any caller',
      help: 'A regular expression on the caller\'s number (E.164). A rule with one does not match a call without a number.' },
    { key: 'rewrite_calling', label: 'Rewrite the calling number to', placeholder: 'empty: unchanged',
      help: 'The new caller number, with \\1 ... from the calling expression, or a fixed number such as +4930123456000.' },
];

/* Options for `from`/`to`: each entry of sbc.yaml (Teams: a group of three), then the
 * single connections of a group. `names` from `sbc routes list --json` connections. */
export function nameOptions(connections, entries) {
    const groups = [];
    for (const c of connections || []) {
        let g = groups.find(x => x.name === c.group);
        if (!g) {
            g = { name: c.group, members: [] };
            groups.push(g);
        }
        g.members.push(c.name);
    }
    const title = name => {
        const e = (entries || []).find(x => x.name === name);
        return e && e.title ? ' (' + e.title + ')' : '';
    };
    const out = [];
    for (const g of groups) {
        const single = g.members.length === 1 && g.members[0] === g.name;
        out.push({ value: g.name, label: single ? g.name + title(g.name) : g.name + ': ' + g.members.join(', ') + ' in this order' });
        if (!single)
            g.members.forEach(m => out.push({ value: m, label: '\u2003' + m + ' only' }));
    }
    return out;
}

/* An ordered list of names, each a select; `emptyText` says what none means. */
function NameList({ id, names, options, onChange, error, emptyText, addText }) {
    const all = [...options];
    names.forEach(n => { if (n && !all.some(o => o.value === n)) all.push({ value: n, label: n + ' (unknown)' }) });
    return (
        <div id={id}>
            {names.map((n, i) => (
                <Flex key={i} spaceItems={{ default: 'spaceItemsSm' }} flexWrap={{ default: 'nowrap' }}
                      className="route-name-row">
                    <FlexItem grow={{ default: 'grow' }}>
                        <FormSelect id={id + '-' + i} value={n} aria-label={addText + ' ' + (i + 1)}
                                    validated={error ? 'error' : 'default'} aria-invalid={Boolean(error)}
                                    onChange={(_e, v) => onChange(names.map((x, j) => (j === i ? v : x)))}>
                            {!n && <FormSelectOption value="" label="Choose ..." isPlaceholder />}
                            {all.map(o => <FormSelectOption key={o.value} value={o.value} label={o.label} />)}
                        </FormSelect>
                    </FlexItem>
                    <FlexItem>
                        <Button variant="plain" aria-label={'Remove ' + (n || 'this')} id={id + '-remove-' + i}
                                onClick={() => onChange(names.filter((_x, j) => j !== i))}>
                            <MinusCircleIcon />
                        </Button>
                    </FlexItem>
                </Flex>
            ))}
            {!names.length && <div className="pf-v5-c-form__helper-text" id={id + '-empty'}>{emptyText}</div>}
            <Button variant="link" isInline icon={<PlusCircleIcon />} id={id + '-add'}
                    onClick={() => onChange([...names, ''])}>{addText}</Button>
        </div>
    );
}

function initialOf(rule) {
    return {
        name: rule ? (rule.named ? rule.name : '') : '',
        from: rule ? [...rule.from] : [],
        called: (rule && rule.called) || '',
        rewrite_called: (rule && rule.rewrite_called) || '',
        calling: (rule && rule.calling) || '',
        rewrite_calling: (rule && rule.rewrite_calling) || '',
        to: rule ? [...rule.to] : [''],
    };
}

function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
}

/* `rule` (a row of `sbc routes list`) edits it, else a rule is added at `position`.
 * `count`: how many rules there are; `onDone(text, answer)` after a save. */
export function RuleModal({ rule, count, defaults, options, onClose, onDone }) {
    const editing = Boolean(rule);
    const [values, setValues] = useState(initialOf(rule));
    const [position, setPosition] = useState(''); // '' = last (first when the defaults are written)
    const [answer, setAnswer] = useState(null);
    const [failure, setFailure] = useState(null);
    const [busy, setBusy] = useState(false);
    const initial = initialOf(rule);
    const set = (key, v) => setValues({ ...values, [key]: v });

    const submit = async () => {
        setBusy(true);
        setFailure(null);
        let r;
        if (editing) {
            const changed = {};
            for (const k of Object.keys(values)) {
                if (!same(values[k], initial[k]))
                    changed[k] = values[k];
            }
            if (!Object.keys(changed).length) {
                setBusy(false);
                onDone('Nothing changed.', null);
                return;
            }
            r = await api.routesSet(rule.name, changed);
        } else {
            r = await api.routesAdd(values, position ? Number(position) : null);
        }
        setBusy(false);
        if (!r.json) {
            setAnswer(null);
            setFailure('Saving failed: ' + problemText(r, 'sbc routes'));
            return;
        }
        setAnswer(r.json);
        if (r.json.saved || r.json.ok) {
            const name = values.name.trim() || (editing ? rule.name : 'the new rule');
            onDone((editing ? 'Changed rule ' : 'Added rule ') + name, r.json);
        }
    };

    const errors = (answer && answer.errors) || [];
    const index = answer ? answer.index : null;
    const fieldErrors = {};
    const mine = e => index !== null && index !== undefined && e.index === index && e.key;
    for (const e of errors) {
        if (mine(e) && !fieldErrors[e.key])
            fieldErrors[e.key] = e.message;
    }
    const other = errors.filter(e => !mine(e));
    const positions = [];
    for (let i = 1; i <= (defaults ? 0 : count) + 1; i++)
        positions.push(i);

    return (
        <Modal id="route-modal" variant={ModalVariant.medium} isOpen
               title={editing ? 'Edit rule ' + rule.name : 'Add rule'}
               description="Rules are tried in order; the first one that matches the source and the numbers takes the call."
               onClose={onClose}
               actions={[
                   <Button key="submit" id="route-submit" variant="primary" isDisabled={busy} isLoading={busy}
                           onClick={submit}>{editing ? 'Save' : 'Add'}</Button>,
                   <Button key="cancel" id="route-cancel" variant="link" onClick={onClose}>Cancel</Button>,
               ]}>
            <Form id="route-form" onSubmit={e => { e.preventDefault(); submit() }}>
                <FormGroup label="Name" fieldId="route-name" data-field="name">
                    <TextInput id="route-name" value={values.name} autoComplete="off"
                               placeholder={editing ? rule.name : 'e.g. inbound'}
                               validated={fieldErrors.name ? 'error' : 'default'} aria-invalid={Boolean(fieldErrors.name)}
                               onChange={(_e, v) => set('name', v)} />
                    <Helper id="route-name" error={fieldErrors.name} help="Shown in the log and the call records." />
                </FormGroup>
                <FormGroup label="From" fieldId="route-from" data-field="from" role="group">
                    <NameList id="route-from" names={values.from} options={options} error={fieldErrors.from}
                              emptyText="Any connection." addText="Add a source"
                              onChange={v => set('from', v)} />
                    <Helper id="route-from" error={fieldErrors.from}
                            help="Calls coming in on these connections; none: calls from any connection." />
                </FormGroup>
                {TEXT_FIELDS.map(f => (
                    <FormGroup key={f.key} label={f.label} fieldId={'route-' + f.key} data-field={f.key}>
                        <TextInput id={'route-' + f.key} value={values[f.key]} autoComplete="off"
                                   placeholder={f.placeholder} spellCheck={false}
                                   validated={fieldErrors[f.key] ? 'error' : 'default'}
                                   aria-invalid={Boolean(fieldErrors[f.key])}
                                   onChange={(_e, v) => set(f.key, v)} />
                        <Helper id={'route-' + f.key} error={fieldErrors[f.key]} help={f.help} />
                    </FormGroup>
                ))}
                <FormGroup label="To" fieldId="route-to" data-field="to" isRequired role="group">
                    <NameList id="route-to" names={values.to} options={options} error={fieldErrors.to}
                              emptyText="Choose at least one target." addText="Add a target"
                              onChange={v => set('to', v)} />
                    <Helper id="route-to" error={fieldErrors.to}
                            help="Tried in this order; a group stands for its connections in failover order." />
                </FormGroup>
                {!editing &&
                    <FormGroup label="Position" fieldId="route-position" data-field="position">
                        <FormSelect id="route-position" value={position} onChange={(_e, v) => setPosition(v)}>
                            <FormSelectOption value="" label={defaults ? 'First, before the default routes' : 'Last'} />
                            {!defaults && positions.map(p => <FormSelectOption key={p} value={String(p)} label={String(p)} />)}
                        </FormSelect>
                        {defaults &&
                            <Helper id="route-position"
                                    help="This file has no rules yet: the default routes are written out after this one, so the calls they route keep working." />}
                    </FormGroup>}
                {other.length > 0 &&
                    <Alert variant="danger" isInline id="route-errors" title="sbc check refuses this rule">
                        <ul>{other.map((e, i) => <li key={i}>{e.text}</li>)}</ul>
                    </Alert>}
                {failure && <Alert variant="danger" isInline id="route-failure" title={failure} />}
            </Form>
        </Modal>
    );
}
