/* Certificates: the installed certificate (`sbc cert show --json`: its check findings
 * green/amber/red, days left, the chain; else the running SBC's from `sbc status --json`),
 * "Create request", "Import certificate", "Add a root CA" (modals in cert-*.jsx), a pending
 * request offered again, "Test a TLS connection", and the readiness steps about
 * certificates. The FQDN is sbc.fqdn of `sbc config show --json`. */
import React, { useCallback, useEffect, useState } from 'react';
import {
    Alert, AlertActionLink, Button, Card, CardBody, CardHeader, CardTitle, Flex, FlexItem,
    List, ListItem, PageSection, Spinner, Stack, StackItem, Text, Title,
} from '@patternfly/react-core';

import * as sbc from './sbc.js';
import { LevelIcon, StatusProblem, Words } from './common.jsx';
import { Checklist } from './overview.jsx';
import { ownCertificate, problemText } from './format.js';
import { InstalledCertificate } from './cert-installed.jsx';
import { ImportModal, AddRootModal } from './cert-import.jsx';
import { RequestModal } from './cert-request.jsx';
import { TlsCheckCard } from './cert-tls.jsx';

export function CertificateSummary({ status, loaded }) {
    if (!status)
        return <Text id="certificate-none">{loaded ? 'Not known: the SBC is not running.' : 'Loading ...'}</Text>;
    const cert = ownCertificate(status);
    if (!cert)
        return <Text id="certificate-none">This SBC version does not report its certificate.</Text>;
    const tls = cert.tls || {};
    return (
        <Stack hasGutter id="certificate" data-level={cert.level}>
            <StackItem>
                <Text><LevelIcon level={cert.level} /> <strong id="certificate-title">{cert.title}</strong></Text>
                {cert.text && <Text id="certificate-text">{cert.text}</Text>}
            </StackItem>
            {tls.active === false && tls.reason &&
                <StackItem><Text id="tls-reason">TLS listener not started: {tls.reason}</Text></StackItem>}
            {cert.findings.length > 0 &&
                <StackItem>
                    <List isPlain id="certificate-findings">
                        {cert.findings.map((f, i) => (
                            <ListItem key={i} icon={<LevelIcon level={f.level} />}>
                                <Words text={f.message + (f.hint ? ' (' + f.hint + ')' : '')} />
                            </ListItem>
                        ))}
                    </List>
                </StackItem>}
        </Stack>
    );
}

const sentence = text => String(text || '').charAt(0).toUpperCase() + String(text || '').slice(1);

function NoCertificate({ show, tls }) {
    const e = (show && show.json && show.json.error) || null;
    if (!e)
        return <Text id="certificate-none">{problemText(show, 'sbc cert show')}</Text>;
    return (
        <Alert variant={e.check === 'missing' ? 'info' : 'danger'} isInline id="certificate-none"
               title={e.check === 'missing' ? 'No certificate is installed yet' : 'The certificate cannot be read'}>
            <p><Words text={sentence(e.message)} /></p>
            {tls && tls.active === false && tls.reason &&
                <p id="tls-reason">TLS listener not started: {tls.reason}</p>}
            {e.check === 'missing'
                ? <p>{show.json.pending
                    ? 'Import the certificate your CA issues for the waiting request.'
                    : 'Create a request, have it signed by a public CA, then import the certificate.'}</p>
                : (e.hint && <p>What to do: <Words text={e.hint} /></p>)}
        </Alert>
    );
}

function PendingRequest({ pending, onShow, onImport }) {
    return (
        <Alert variant="info" isInline id="pending-request"
               title={'A request for ' + pending.fqdn + ' is waiting for its certificate'}
               actionLinks={<>
                   <AlertActionLink id="pending-show" onClick={onShow}>Show the request</AlertActionLink>
                   <AlertActionLink id="pending-import" onClick={onImport}>Import certificate</AlertActionLink>
               </>}>
            Its private key is kept on this box until the signed certificate is imported ({pending.csr_path}).
        </Alert>
    );
}

/* The running SBC (status) still uses another certificate than the installed file: it was
 * not reloaded since the import (or the reload failed). */
function notInUse(info, running) {
    const file = Date.parse((info.certificate || {}).not_after) / 1000;
    const used = running && typeof running.not_after_ts === 'number' ? running.not_after_ts : null;
    return used !== null && !isNaN(file) && Math.abs(file - used) >= 1;
}

function NotInUse({ running, onReload }) {
    const [busy, setBusy] = useState(false);
    const [result, setResult] = useState(null);
    const reload = async () => {
        setBusy(true);
        const r = await sbc.reloadSbc();
        setResult(r.ok ? null : problemText(r, 'systemctl reload opensbc'));
        setBusy(false);
        onReload();
    };
    return (
        <Alert variant="warning" isInline id="cert-not-in-use"
               title="The running SBC still uses its previous certificate"
               actionLinks={<AlertActionLink id="cert-reload" onClick={reload} isDisabled={busy}>Reload the SBC</AlertActionLink>}>
            <p>It uses {running.subject || 'a certificate'} until {String(running.not_after || '')}; reload it so new TLS
                connections use the installed one.</p>
            {result && <p id="cert-reload-problem">Reloading failed: {result}</p>}
        </Alert>
    );
}

export function CertificatesPage({ status, doctor, loadStatus, loadDoctor }) {
    const doc = status && status.ok ? status.json : null;
    const report = doctor && doctor.json && Array.isArray(doctor.json.findings) ? doctor.json : null;
    const steps = report ? report.findings.filter(f => f.page === 'certificates') : [];
    const [show, setShow] = useState(null); // the last `sbc cert show --json` result
    const [fqdn, setFqdn] = useState(null); // sbc.fqdn of the configuration
    const [dialog, setDialog] = useState(null); // 'request', 'pending', 'import', 'root'

    const loadShow = useCallback(() => sbc.certShow().then(setShow), []);
    useEffect(() => {
        loadShow();
        sbc.configShow().then(r => {
            const v = r.json && r.json.ok ? (r.json.settings['sbc.fqdn'] || {}).value : null;
            setFqdn(v || '');
        });
    }, [loadShow]);

    const changed = () => {
        loadShow();
        loadStatus();
        loadDoctor();
    };
    const close = () => setDialog(null);
    const info = show && show.json && show.json.ok ? show.json : null;
    const pending = show && show.json ? show.json.pending : null;
    const statusCert = doc && doc.certificate && !doc.certificate.missing ? doc.certificate : null;

    let body;
    if (!show)
        body = <Spinner size="lg" aria-label="Loading" />;
    else if (info)
        body = (
            <Stack hasGutter>
                {notInUse(info, statusCert) &&
                    <StackItem><NotInUse running={statusCert} onReload={loadStatus} /></StackItem>}
                <StackItem><InstalledCertificate info={info} /></StackItem>
            </Stack>
        );
    else if (statusCert) // the files cannot be shown here; the running SBC says what it uses
        body = <CertificateSummary status={doc} loaded={Boolean(status)} />;
    else
        body = <NoCertificate show={show} tls={doc ? doc.tls : null} />;

    const ready = fqdn !== null;
    const headerActions = (
        <Flex spaceItems={{ default: 'spaceItemsSm' }}>
            <FlexItem>
                <Button variant="secondary" id="cert-request-open" isDisabled={!ready}
                        onClick={() => setDialog('request')}>Create request</Button>
            </FlexItem>
            <FlexItem>
                <Button variant="primary" id="cert-import-open" isDisabled={!ready}
                        onClick={() => setDialog('import')}>Import certificate</Button>
            </FlexItem>
            <FlexItem>
                <Button variant="secondary" id="cert-addca-open"
                        onClick={() => setDialog('root')}>Add a root CA</Button>
            </FlexItem>
        </Flex>
    );
    return (
        <PageSection>
            <Stack hasGutter>
                <StackItem><StatusProblem status={status} doctor={doctor} /></StackItem>
                {pending &&
                    <StackItem>
                        <PendingRequest pending={pending} onShow={() => setDialog('pending')}
                                        onImport={() => setDialog('import')} />
                    </StackItem>}
                <StackItem>
                    <Card id="certificate-card">
                        <CardHeader actions={{ actions: headerActions, hasNoOffset: true }}>
                            <CardTitle><Title headingLevel="h2" size="lg">The SBC's certificate</Title></CardTitle>
                        </CardHeader>
                        <CardBody>{body}</CardBody>
                    </Card>
                </StackItem>
                <StackItem><TlsCheckCard /></StackItem>
                {steps.length > 0 &&
                    <StackItem>
                        <Card>
                            <CardTitle><Title headingLevel="h2" size="lg">Readiness: certificates</Title></CardTitle>
                            <CardBody><Checklist findings={steps} next={report.next} here="certificates" /></CardBody>
                        </Card>
                    </StackItem>}
            </Stack>
            {dialog === 'request' && <RequestModal fqdn={fqdn} pending={pending} onClose={close} onDone={loadShow} />}
            {dialog === 'pending' && pending && <RequestModal fqdn={fqdn} shown={pending} onClose={close} onDone={loadShow} />}
            {dialog === 'import' && <ImportModal fqdn={fqdn} onClose={close} onDone={changed} />}
            {dialog === 'root' && <AddRootModal onClose={close} onDone={changed} />}
        </PageSection>
    );
}
