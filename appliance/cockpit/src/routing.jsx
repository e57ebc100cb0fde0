/* Routing: being built (see appliance/cockpit/README.md). */
import React from 'react';
import { Card, CardBody, CardTitle, PageSection } from '@patternfly/react-core';

export function RoutingPage() {
    return (
        <PageSection>
            <Card><CardTitle>Routing</CardTitle><CardBody>Not available yet.</CardBody></Card>
        </PageSection>
    );
}
