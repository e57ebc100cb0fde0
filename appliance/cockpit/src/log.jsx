/* Logging: the remote syslog target (`syslog:` in sbc.yaml, through `sbc config`) and
 * the SBC's recent journal with filters by severity and connection. */
import React from 'react';
import { PageSection, Stack, StackItem } from '@patternfly/react-core';

import { SyslogCard } from './logging-syslog.jsx';
import { RecentLog } from './logging-journal.jsx';

export function LogPage({ status }) {
    return (
        <PageSection>
            <Stack hasGutter>
                <StackItem><SyslogCard /></StackItem>
                <StackItem><RecentLog status={status} /></StackItem>
            </Stack>
        </PageSection>
    );
}
