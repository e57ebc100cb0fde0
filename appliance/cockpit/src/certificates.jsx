/* The SBC's own certificate from `sbc status --json` (subject, expiry, days left, the
 * check findings of certs.assess) and the readiness steps about certificates. Importing
 * a certificate is still `sbc cert import` (the action text says so). */
import React from 'react';
import {
    Card, CardBody, CardTitle, DescriptionList, DescriptionListDescription,
    DescriptionListGroup, DescriptionListTerm, List, ListItem, PageSection, Stack,
    StackItem, Text, Title,
} from '@patternfly/react-core';

import { LevelIcon, StatusProblem, Words } from './common.jsx';
import { Checklist } from './overview.jsx';
import { ownCertificate } from './format.js';

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

export function CertificatesPage({ status, doctor }) {
    const doc = status && status.ok ? status.json : null;
    const raw = doc && doc.certificate ? doc.certificate : null;
    const report = doctor && doctor.json && Array.isArray(doctor.json.findings) ? doctor.json : null;
    const steps = report ? report.findings.filter(f => f.page === 'certificates') : [];
    return (
        <PageSection>
            <Stack hasGutter>
                <StackItem><StatusProblem status={status} doctor={doctor} /></StackItem>
                <StackItem>
                    <Card>
                        <CardTitle><Title headingLevel="h2" size="lg">The SBC's certificate</Title></CardTitle>
                        <CardBody>
                            <Stack hasGutter>
                                <StackItem><CertificateSummary status={doc} loaded={Boolean(status)} /></StackItem>
                                {raw && raw.path &&
                                    <StackItem>
                                        <DescriptionList isHorizontal isCompact>
                                            <DescriptionListGroup>
                                                <DescriptionListTerm>File</DescriptionListTerm>
                                                <DescriptionListDescription>{raw.path}</DescriptionListDescription>
                                            </DescriptionListGroup>
                                        </DescriptionList>
                                    </StackItem>}
                            </Stack>
                        </CardBody>
                    </Card>
                </StackItem>
                {steps.length > 0 &&
                    <StackItem>
                        <Card>
                            <CardTitle><Title headingLevel="h2" size="lg">Readiness: certificates</Title></CardTitle>
                            <CardBody><Checklist findings={steps} next={report.next} here="certificates" /></CardBody>
                        </Card>
                    </StackItem>}
            </Stack>
        </PageSection>
    );
}
