/* The SBC page: a PatternFly Page with one section per task, chosen by Cockpit's URL
 * (cockpit.location: /opensbc#/voip). The status and the readiness report are loaded
 * here and handed to the sections that show them. */
/* global cockpit */
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { Nav, NavItem, NavList, Page, PageSection } from '@patternfly/react-core';

import * as sbc from './sbc.js';
import { Overview } from './overview.jsx';
import { ConnectionsPage } from './connections.jsx';
import { VoipPage } from './voip.jsx';
import { CertificatesPage } from './certificates.jsx';
import { TracePage } from './trace.jsx';
import { LogPage } from './log.jsx';
import { TeamsPage } from './teams.jsx';
import { RoutingPage } from './routing.jsx';
import { BackupPage } from './backup.jsx';

export const SECTIONS = [
    { id: 'overview', label: 'Overview', Component: Overview },
    { id: 'connections', label: 'Connections', Component: ConnectionsPage },
    { id: 'voip', label: 'VoIP parameters', Component: VoipPage },
    { id: 'certificates', label: 'Certificates', Component: CertificatesPage },
    { id: 'routing', label: 'Routing', Component: RoutingPage },
    { id: 'log', label: 'Logging', Component: LogPage },
    { id: 'trace', label: 'Trace', Component: TracePage },
    { id: 'teams', label: 'Teams', Component: TeamsPage },
    { id: 'backup', label: 'Backup', Component: BackupPage },
];

// A call placed to test the trunk shows up while it lasts; a page in a background tab
// (document.hidden) asks nothing (each `sbc status --json` costs ~0.25 s of CPU).
const REFRESH_MS = 4000;

function sectionFromLocation() {
    const first = cockpit.location.path[0];
    return SECTIONS.some(s => s.id === first) ? first : 'overview';
}

/* What the readiness report depends on that the status shows: a reload applied, TLS on
 * or off, a connection waiting, up or down, registered or not, heard from. When it
 * changes, `sbc doctor` runs again, so the checklist never lags behind the status table
 * (it ran right after a certificate import, before the SBC had reloaded). */
export function doctorKey(status) {
    const doc = status && status.ok ? status.json : null;
    if (!doc)
        return status ? 'not running' : '';
    const reload = (doc.config && doc.config.last_reload) || {};
    const connections = (doc.connections || []).map(c => [
        c.name, c.waiting || '', (c.options_out || {}).status || '',
        (c.registration || {}).state || '', Boolean(c.options_in && c.options_in.last_seen),
    ]);
    return JSON.stringify([reload.at || '', Boolean(doc.tls && doc.tls.active), connections]);
}

export function App() {
    const [section, setSection] = useState(sectionFromLocation());
    const [status, setStatus] = useState(null); // the last `sbc status --json` result
    const [doctor, setDoctor] = useState(null); // the last `sbc doctor --json` result

    const loadStatus = useCallback(() => sbc.status().then(setStatus), []);
    const loadDoctor = useCallback(() => sbc.doctor().then(setDoctor), []);

    useEffect(() => {
        const changed = () => setSection(sectionFromLocation());
        cockpit.addEventListener('locationchanged', changed);
        loadStatus();
        loadDoctor();
        const timer = window.setInterval(() => document.hidden || loadStatus(), REFRESH_MS);
        cockpit.transport.wait(() => document.body.setAttribute('data-ready', '1'));
        return () => {
            cockpit.removeEventListener('locationchanged', changed);
            window.clearInterval(timer);
        };
    }, [loadStatus, loadDoctor]);

    const seen = useRef(null); // doctorKey of the status the last report matches
    useEffect(() => {
        if (!status)
            return; // not read yet; the report runs once at the start anyway
        const key = doctorKey(status);
        if (seen.current !== null && key !== seen.current)
            loadDoctor();
        seen.current = key;
    }, [status, loadDoctor]);

    const current = SECTIONS.find(s => s.id === section);
    const shared = { status, doctor, loadStatus, loadDoctor };
    return (
        <Page id="opensbc" data-section={section}>
            <PageSection type="nav" variant="light" padding={{ default: 'noPadding' }}>
                <Nav variant="tertiary" aria-label="SBC sections" id="sections">
                    <NavList>
                        {SECTIONS.map(s => (
                            <NavItem key={s.id} itemId={s.id} isActive={s.id === section}
                                     to={'#/' + s.id} data-section={s.id}>
                                {s.label}
                            </NavItem>
                        ))}
                    </NavList>
                </Nav>
            </PageSection>
            <current.Component key={section} {...shared} />
        </Page>
    );
}
