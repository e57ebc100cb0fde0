/* Small pieces the sections share: a status cell as a PatternFly Label, the level icon,
 * the "SBC is not running" alert, and links to sections. */
import React from 'react';
import {
    Alert, AlertActionLink, FormHelperText, HelperText, HelperTextItem, Icon, Label,
} from '@patternfly/react-core';
import { CheckCircleIcon, ExclamationCircleIcon, ExclamationTriangleIcon, InfoCircleIcon } from '@patternfly/react-icons';

import { notRunning, problemText } from './format.js';

const LABEL = { ok: 'green', warn: 'orange', bad: 'red', fail: 'red' };

export function StateLabel({ cell }) {
    if (!cell.level)
        return <>{cell.text}</>;
    return <Label color={LABEL[cell.level]} isCompact>{cell.text}</Label>;
}

/* Text from the CLI: `commands` in backticks become <code>, as in the docs. */
export function Words({ text }) {
    const parts = String(text || '').split('`');
    return <>{parts.map((p, i) => (i % 2 ? <code key={i}>{p}</code> : p))}</>;
}

export function LevelIcon({ level }) {
    if (level === 'ok')
        return <Icon status="success"><CheckCircleIcon /></Icon>;
    if (level === 'warn')
        return <Icon status="warning"><ExclamationTriangleIcon /></Icon>;
    if (level === 'fail' || level === 'bad')
        return <Icon status="danger"><ExclamationCircleIcon /></Icon>;
    return <Icon status="info"><InfoCircleIcon /></Icon>;
}

// Which section fixes what a doctor finding names (finding.page). Firewall and system
// (services, clock) have no section of their own yet: the log shows the service.
export const DOCTOR_PAGES = {
    config: 'voip',
    voip: 'voip',
    media: 'voip',
    certificates: 'certificates',
    connections: 'connections',
    firewall: 'log',
    system: 'log',
};

export const SECTION_LABELS = {
    overview: 'Overview',
    connections: 'Connections',
    voip: 'VoIP parameters',
    certificates: 'Certificates',
    routing: 'Routing',
    log: 'Logging',
    trace: 'Trace',
    teams: 'Teams',
    backup: 'Backup',
};

export function sectionOf(finding) {
    return DOCTOR_PAGES[finding && finding.page] || 'overview';
}

/* `sbc status` could not answer: say why, and what to do (the doctor's step for the
 * service when there is one, as `sbc doctor` prints it). */
export function StatusProblem({ status, doctor }) {
    if (!status || status.ok)
        return null;
    const down = notRunning(status);
    const findings = (doctor && doctor.json && Array.isArray(doctor.json.findings))
        ? doctor.json.findings : [];
    const service = findings.find(f => f && f.id && f.id.startsWith('service') && f.level !== 'ok');
    const todo = service ? service.action
        : (down ? 'Start it with `systemctl start opensbc`; if it stops again, its log says why.'
            : '');
    return (
        <Alert variant="danger" isInline id="status-problem"
               title={down ? 'The SBC is not running' : 'The SBC status is not available'}
               actionLinks={down
                   ? <AlertActionLink component="a" href="#/log">Show the log</AlertActionLink>
                   : null}>
            <p className="status-reason">{problemText(status, 'sbc status')}</p>
            {todo && <p className="status-todo">What to do: <Words text={todo} /></p>}
        </Alert>
    );
}

/* Under a form field: its error (id-error, what the tests and screen readers find) and
 * its help text (id-help). */
export function FieldHelper({ id, error, help }) {
    if (!error && !help)
        return null;
    return (
        <FormHelperText>
            <HelperText>
                {error && <HelperTextItem variant="error" id={id + '-error'}>{error}</HelperTextItem>}
                {help && <HelperTextItem id={id + '-help'}>{help}</HelperTextItem>}
            </HelperText>
        </FormHelperText>
    );
}
