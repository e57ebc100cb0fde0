/* Backup: being built (see appliance/cockpit/README.md). */
import React from 'react';
import { Card, CardBody, CardTitle, PageSection } from '@patternfly/react-core';

export function BackupPage() {
    return (
        <PageSection>
            <Card><CardTitle>Backup</CardTitle><CardBody>Not available yet.</CardBody></Card>
        </PageSection>
    );
}
