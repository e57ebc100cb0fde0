/* The SBC's recent log: `journalctl -u opensbc -n 50 -o cat`. */
import React, { useCallback, useEffect, useState } from 'react';
import {
    Button, Card, CardBody, CardHeader, CardTitle, CodeBlock, CodeBlockCode, PageSection, Title,
} from '@patternfly/react-core';

import * as sbc from './sbc.js';
import { problemText } from './format.js';

export function LogPage() {
    const [text, setText] = useState('Loading ...');
    const load = useCallback(() => sbc.journal().then(r => {
        setText(r.ok ? (r.out || '(no log lines yet)') : problemText(r, 'journalctl'));
    }), []);
    useEffect(() => { load() }, [load]);
    return (
        <PageSection>
            <Card>
                <CardHeader actions={{
                    actions: <Button variant="secondary" id="log-refresh" onClick={load}>Refresh</Button>,
                    hasNoOffset: true,
                }}>
                    <CardTitle><Title headingLevel="h2" size="lg">Recent log (opensbc)</Title></CardTitle>
                </CardHeader>
                <CardBody>
                    <CodeBlock><CodeBlockCode id="log">{text}</CodeBlockCode></CodeBlock>
                </CardBody>
            </Card>
        </PageSection>
    );
}
