/* Restore: the chosen archive (kept in the browser; on the box only in a private
 * temporary folder while a command reads it) is checked with
 * `sbc backup restore --dry-run --json` (what would change, every problem), and only
 * restored after a confirmation; then the status and the readiness report are reloaded.
 * Nothing is replaced when the check finds an error. */
import React, { useRef, useState } from 'react';
import {
    Alert, Button, Card, CardBody, CardTitle, DescriptionList, DescriptionListDescription,
    DescriptionListGroup, DescriptionListTerm, FileUpload, Label, LabelGroup, List, ListItem,
    Modal, ModalVariant, Spinner, Stack, StackItem, Text, TextContent, Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';

import * as api from './backup-api.js';
import { formatTime, problemText } from './format.js';

const ACTIONS = {
    replace: { text: 'replaced', color: 'orange' },
    create: { text: 'created', color: 'blue' },
    unchanged: { text: 'unchanged', color: 'grey' },
    keep: { text: 'not in the backup: stays as it is', color: 'grey' },
};

function BackupFacts({ backup, filename }) {
    const b = backup || {};
    const facts = [
        ['File', filename],
        ['Backup of', (b.fqdn || '?') + (b.host ? ' (host ' + b.host + ')' : '')],
        ['Made', formatTime(b.created) + (b.product ? ' by ' + b.product + ' ' + (b.version || '') : '')],
    ];
    return (
        <DescriptionList isHorizontal isCompact id="restore-facts">
            {facts.map(([term, value]) => (
                <DescriptionListGroup key={term}>
                    <DescriptionListTerm>{term}</DescriptionListTerm>
                    <DescriptionListDescription>{value}</DescriptionListDescription>
                </DescriptionListGroup>
            ))}
        </DescriptionList>
    );
}

function FilesTable({ files }) {
    return (
        <Table variant="compact" aria-label="Files of the backup" id="restore-files">
            <Thead><Tr><Th>File</Th><Th>On this SBC</Th><Th>On restore</Th></Tr></Thead>
            <Tbody>
                {files.map(f => {
                    const a = ACTIONS[f.action] || { text: f.action, color: 'grey' };
                    return (
                        <Tr key={f.name} data-name={f.name} data-action={f.action}>
                            <Td dataLabel="File" modifier="nowrap"><code>{f.name}</code></Td>
                            <Td dataLabel="On this SBC">{f.path}</Td>
                            <Td dataLabel="On restore" modifier="nowrap"><Label isCompact color={a.color}>{a.text}</Label></Td>
                        </Tr>
                    );
                })}
            </Tbody>
        </Table>
    );
}

function Problems({ id, variant, title, items, expandable }) {
    if (!items.length)
        return null;
    return (
        <Alert variant={variant} isInline id={id} title={title} isExpandable={expandable}>
            <List>
                {items.map((p, i) => (
                    <ListItem key={i} data-file={p.file} data-field={p.field}>
                        {p.file ? p.text : p.text.charAt(0).toUpperCase() + p.text.slice(1)}
                    </ListItem>
                ))}
            </List>
        </Alert>
    );
}

function Certificate({ cert }) {
    if (!cert)
        return null;
    // as_dict's isoformat ends in +00:00; formatTime shows ...Z as "UTC"
    const until = cert.not_after
        ? ', valid until ' + formatTime(String(cert.not_after).replace(/\+00:00$/, 'Z')) : '';
    return (
        <Text id="restore-certificate">
            Certificate: <strong>{cert.subject}</strong>{until}
            {cert.usable ? '' : ' (it has problems, see the warnings)'}.
        </Text>
    );
}

/* What the check answered: the backup, its files, the settings that change, problems. */
export function CheckView({ answer, filename }) {
    const errors = answer.errors || [];
    const warnings = answer.warnings || [];
    const changes = answer.changes || [];
    const configFile = (answer.files || []).find(f => f.name === 'sbc.yaml');
    let changeText = null;
    if (!errors.length && configFile && configFile.action !== 'unchanged')
        changeText = changes.length ? 'Settings that change:' : 'The configuration file differs (comments or layout only).';
    else if (!errors.length)
        changeText = 'The configuration is the same as on this SBC.';
    return (
        <Stack hasGutter id="restore-check" data-ok={errors.length ? '0' : '1'}>
            {answer.backup && <StackItem><BackupFacts backup={answer.backup} filename={filename} /></StackItem>}
            {errors.length > 0 &&
                <StackItem>
                    <Problems id="restore-errors" variant="danger" items={errors}
                              title={'The backup cannot be restored: ' + errors.length + ' problem' +
                                     (errors.length > 1 ? 's' : '') + '. Nothing was changed.'} />
                </StackItem>}
            {!errors.length && (answer.files || []).length > 0 &&
                <StackItem><FilesTable files={answer.files} /></StackItem>}
            {changeText &&
                <StackItem id="restore-changes">
                    <Text>{changeText}</Text>
                    {changes.length > 0 && !errors.length &&
                        <LabelGroup numLabels={12} id="restore-change-list">
                            {changes.map(c => <Label key={c} isCompact>{c}</Label>)}
                        </LabelGroup>}
                </StackItem>}
            {!errors.length && answer.certificate &&
                <StackItem><Certificate cert={answer.certificate} /></StackItem>}
            {warnings.length > 0 &&
                <StackItem>
                    <Problems id="restore-warnings" variant="warning" items={warnings}
                              expandable={warnings.length > 3}
                              title={warnings.length + ' warning' + (warnings.length > 1 ? 's' : '') +
                                     (errors.length ? '' : ' (the backup can be restored)')} />
                </StackItem>}
        </Stack>
    );
}

function ConfirmModal({ answer, onConfirm, onClose }) {
    const changed = (answer.files || []).filter(f => f.action === 'replace' || f.action === 'create');
    return (
        <Modal id="restore-confirm-modal" variant={ModalVariant.small} titleIconVariant="warning"
               title="Restore this backup?" isOpen onClose={onClose}
               actions={[
                   <Button key="restore" variant="danger" id="restore-confirm" onClick={onConfirm}>Restore</Button>,
                   <Button key="cancel" variant="link" onClick={onClose}>Cancel</Button>,
               ]}>
            <TextContent>
                <Text>
                    {changed.length
                        ? 'Replaces ' + changed.map(f => f.name).join(', ') + '.'
                        : 'No file differs; the services are restarted anyway.'} The
                    current files are kept in <code>backup-before-restore.tar.gz</code> in the data folder.
                </Text>
                <Text>The media relay restarts and the SBC reloads: calls in progress may drop.</Text>
            </TextContent>
        </Modal>
    );
}

function Done({ answer }) {
    const failed = !answer.ok;
    return (
        <Alert variant={failed ? 'warning' : 'success'} isInline id="restore-done"
               title={'Restored the backup of ' + ((answer.backup && answer.backup.fqdn) || '?') +
                      (failed ? ', but applying it failed' : '')}>
            {answer.previous && <Text>The previous files are in {answer.previous}.</Text>}
            {(answer.applied || []).length > 0 && <Text>Applied: {answer.applied.join(', ')}.</Text>}
            {failed && <List>{(answer.errors || []).map((e, i) => <ListItem key={i}>{e.text}</ListItem>)}</List>}
        </Alert>
    );
}

export function RestoreCard({ loadStatus, loadDoctor }) {
    const [filename, setFilename] = useState('');
    const [step, setStep] = useState('idle'); // idle, checking, checked, confirm, restoring, done
    const [check, setCheck] = useState(null); // the dry run's JSON answer
    const [done, setDone] = useState(null); // the restore's JSON answer
    const [problem, setProblem] = useState('');
    const archive = useRef(null); // the chosen file's bytes (never kept on the box)
    const chosen = useRef({ key: '', at: 0 });
    const latest = useRef(0);

    const reset = () => {
        latest.current++;
        archive.current = null;
        chosen.current = { key: '', at: 0 };
        setFilename('');
        setCheck(null);
        setDone(null);
        setProblem('');
        setStep('idle');
    };

    const choose = async file => {
        // PatternFly's FileUpload reports one choice twice (its input and its drop zone).
        const key = [file.name, file.size, file.lastModified].join('|');
        if (chosen.current.key === key && Date.now() - chosen.current.at < 2000)
            return;
        chosen.current = { key, at: Date.now() };
        const token = ++latest.current;
        archive.current = null;
        setFilename(file.name);
        setCheck(null);
        setDone(null);
        setProblem('');
        setStep('checking');
        try {
            const bytes = new Uint8Array(await file.arrayBuffer());
            const r = await api.withArchive(bytes, path => api.backupRestore(path, true));
            if (token !== latest.current)
                return; // another file was chosen meanwhile
            if (r.json) {
                archive.current = bytes;
                setCheck(r.json);
                setStep('checked');
            } else {
                setProblem('Checking the backup failed: ' + problemText(r, 'sbc backup restore'));
                setStep('idle');
            }
        } catch (ex) {
            if (token === latest.current) {
                setProblem('Checking the backup failed: ' + (ex.message || ex));
                setStep('idle');
            }
        }
    };

    const restore = async () => {
        setStep('restoring');
        let r;
        try {
            r = await api.withArchive(archive.current, path => api.backupRestore(path, false));
        } catch (ex) {
            r = { ok: false, json: null, err: String(ex.message || ex) };
        }
        if (r.json && r.json.restored) {
            archive.current = null;
            setDone(r.json);
            setStep('done');
            loadStatus();
            loadDoctor();
        } else if (r.json) {
            setCheck(r.json); // refused after all (the box changed meanwhile): show why
            setStep('checked');
        } else {
            setProblem('Restoring failed: ' + problemText(r, 'sbc backup restore'));
            setStep('checked');
        }
    };

    const busy = step === 'checking' || step === 'restoring';
    const ok = check && !(check.errors || []).length;
    return (
        <Card id="restore-card" isFullHeight>
            <CardTitle><Title headingLevel="h2" size="lg">Restore</Title></CardTitle>
            <CardBody>
                <Stack hasGutter>
                    <StackItem>
                        <TextContent>
                            <Text>Choose a backup (<code>opensbc-….tar.gz</code>). It is checked first
                                and shows what would change; nothing is replaced before you confirm,
                                and nothing at all when the check finds a problem.</Text>
                        </TextContent>
                    </StackItem>
                    <StackItem>
                        <div id="restore-upload">
                            <FileUpload id="restore-file" filename={filename}
                                        filenamePlaceholder="Drag a backup here or upload one"
                                        browseButtonText="Upload" clearButtonText="Clear" hideDefaultPreview
                                        isDisabled={busy}
                                        onFileInputChange={(_e, file) => choose(file)}
                                        onClearClick={reset} />
                        </div>
                    </StackItem>
                    {step === 'checking' &&
                        <StackItem id="restore-checking"><Spinner size="md" /> Checking the backup ...</StackItem>}
                    {problem && <StackItem><Alert variant="danger" isInline id="restore-problem" title={problem} /></StackItem>}
                    {step === 'done' && done && <StackItem><Done answer={done} /></StackItem>}
                    {check && step !== 'done' && <StackItem><CheckView answer={check} filename={filename} /></StackItem>}
                    {check && step !== 'done' &&
                        <StackItem>
                            <Button variant="primary" id="restore-submit" isDisabled={!ok || busy}
                                    isLoading={step === 'restoring'} onClick={() => setStep('confirm')}>
                                Restore
                            </Button>{' '}
                            <Button variant="link" id="restore-cancel" isDisabled={busy} onClick={reset}>Cancel</Button>
                        </StackItem>}
                </Stack>
            </CardBody>
            {step === 'confirm' &&
                <ConfirmModal answer={check} onConfirm={restore} onClose={() => setStep('checked')} />}
        </Card>
    );
}
