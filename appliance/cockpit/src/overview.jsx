/* Overview: the readiness report (`sbc doctor --json`) as a checklist with the next
 * step, the connections with the reason when one is down, the SBC's own certificate,
 * and the calls. */
import React from 'react';
import {
    Alert, AlertActionLink, Button, Card, CardBody, CardHeader, CardTitle, DataList,
    DataListCell, DataListItem, DataListItemCells, DataListItemRow,
    Icon, PageSection, Spinner, Stack, StackItem, Text, Title,
} from '@patternfly/react-core';

import { ArrowRightIcon } from '@patternfly/react-icons';

import { LevelIcon, SECTION_LABELS, StatusProblem, Words, sectionOf } from './common.jsx';
import { ConnectionsTable, CallsCard } from './connections.jsx';
import { CertificateSummary } from './certificates.jsx';
import { problemText } from './format.js';

function summaryText(summary) {
    const s = summary || {};
    return `${s.ok || 0} ok, ${s.warn || 0} warning(s), ${s.fail || 0} failure(s)`;
}

function SectionLink({ finding, id }) {
    const section = sectionOf(finding);
    return (
        <AlertActionLink component="a" href={'#/' + section} id={id} data-section={section}>
            {'Go to ' + SECTION_LABELS[section]}
        </AlertActionLink>
    );
}

export function NextStep({ report }) {
    const next = report.next;
    if (!next) {
        return (
            <Alert variant="success" isInline id="next-step" title="Ready: nothing left to do">
                Make a test call.
            </Alert>
        );
    }
    return (
        <Alert variant={next.level === 'fail' ? 'danger' : 'warning'} isInline id="next-step"
               title={'Next step: ' + next.title}
               actionLinks={<SectionLink finding={next} id="next-step-link" />}>
            <p><Words text={next.message} /></p>
            <p className="next-action"><Words text={next.action} /></p>
        </Alert>
    );
}

export function Checklist({ findings, next, here }) {
    return (
        <DataList aria-label="Readiness checklist" isCompact id="checklist">
            {findings.map((f, i) => {
                const isNext = Boolean(next && next.id === f.id);
                const section = sectionOf(f);
                return (
                    <DataListItem key={f.id + i} aria-labelledby={'check-' + i} data-finding={f.id}
                                  data-level={f.level} data-next={isNext ? '1' : undefined}
                                  className={isNext ? 'pf-m-selected' : undefined}>
                        <DataListItemRow>
                            <DataListItemCells dataListCells={[
                                <DataListCell key="icon" isFilled={false}>
                                    <LevelIcon level={f.level} />
                                </DataListCell>,
                                <DataListCell key="text" width={5}>
                                    <div id={'check-' + i}>
                                        <strong>{f.title}</strong>{isNext ? ' (next step)' : ''}
                                        {': '}<Words text={f.message} />
                                    </div>
                                    {f.action && <div className="check-action">
                                        <Icon isInline status="info"><ArrowRightIcon /></Icon>{' '}
                                        <Words text={f.action} />
                                    </div>}
                                </DataListCell>,
                                <DataListCell key="link" isFilled={false} alignRight>
                                    {f.level !== 'ok' && section !== here &&
                                        <Button variant="link" component="a" isInline
                                                href={'#/' + section} data-section={section}>
                                            {SECTION_LABELS[section]}
                                        </Button>}
                                </DataListCell>,
                            ]} />
                        </DataListItemRow>
                    </DataListItem>
                );
            })}
        </DataList>
    );
}

function Readiness({ doctor, loadDoctor }) {
    let body;
    if (!doctor) {
        body = <Spinner size="lg" aria-label="Checking" />;
    } else if (!doctor.json || !Array.isArray(doctor.json.findings)) {
        body = (
            <Alert variant="danger" isInline id="doctor-problem" title="The readiness check did not answer">
                {problemText(doctor, 'sbc doctor')}
            </Alert>
        );
    } else {
        const report = doctor.json;
        body = (
            <Stack hasGutter>
                <StackItem><NextStep report={report} /></StackItem>
                <StackItem><Checklist findings={report.findings} next={report.next} /></StackItem>
            </Stack>
        );
    }
    const summary = doctor && doctor.json ? doctor.json.summary : null;
    return (
        <Card id="readiness">
            <CardHeader actions={{
                actions: <Button variant="secondary" id="doctor-refresh"
                                 onClick={() => loadDoctor()}>Check again</Button>,
                hasNoOffset: true,
            }}>
                <CardTitle><Title headingLevel="h2" size="lg">Readiness</Title></CardTitle>
            </CardHeader>
            <CardBody>
                <Stack hasGutter>
                    {summary && <StackItem><Text id="doctor-summary">{summaryText(summary)}</Text></StackItem>}
                    <StackItem>{body}</StackItem>
                </Stack>
            </CardBody>
        </Card>
    );
}

export function Overview({ status, doctor, loadDoctor }) {
    const doc = status && status.ok ? status.json : null;
    return (
        <PageSection>
            <Stack hasGutter>
                <StackItem><StatusProblem status={status} doctor={doctor} /></StackItem>
                <StackItem><Readiness doctor={doctor} loadDoctor={loadDoctor} /></StackItem>
                <StackItem>
                    <Card id="overview-connections">
                        <CardTitle><Title headingLevel="h2" size="lg">Connections</Title></CardTitle>
                        <CardBody>
                            {doc ? <ConnectionsTable status={doc} compact />
                                : <Text>{status ? 'No status: the SBC is not running.' : 'Loading ...'}</Text>}
                        </CardBody>
                    </Card>
                </StackItem>
                <StackItem>
                    <Card id="overview-certificate">
                        <CardTitle><Title headingLevel="h2" size="lg">SBC certificate</Title></CardTitle>
                        <CardBody>
                            <CertificateSummary status={doc} loaded={Boolean(status)} />
                        </CardBody>
                    </Card>
                </StackItem>
                <StackItem><CallsCard status={status} /></StackItem>
            </Stack>
        </PageSection>
    );
}

