/* Teams: the PowerShell `sbc teams-setup` prints for this box, with a copy button;
 * its warnings (stderr) above it. */
import React, { useEffect, useState } from 'react';
import {
    Alert, Card, CardBody, CardTitle, ClipboardCopyButton, CodeBlock, CodeBlockAction,
    CodeBlockCode, PageSection, Spinner, Stack, StackItem, Text, Title,
} from '@patternfly/react-core';

import * as sbc from './sbc.js';
import { problemText } from './format.js';
import { Words } from './common.jsx';
import { copyText } from './clipboard.js';

function warnings(err) {
    return String(err || '').split('\n').filter(Boolean)
            .map(line => line.replace(/^sbc teams-setup: (warning: )?/, ''));
}

export function TeamsPage() {
    const [result, setResult] = useState(null);
    const [copied, setCopied] = useState(false);
    useEffect(() => { sbc.teamsSetup().then(setResult) }, []);

    let body;
    if (!result) {
        body = <Spinner size="lg" aria-label="Loading" />;
    } else if (!result.ok) {
        body = (
            <Alert variant="danger" isInline id="teams-problem" title="No PowerShell for this configuration">
                {warnings(result.err).length > 1
                    ? <ul>{warnings(result.err).map((l, i) => <li key={i}><Words text={l} /></li>)}</ul>
                    : problemText(result, 'sbc teams-setup')}
            </Alert>
        );
    } else {
        const onCopy = () => copyText(result.out).then(() => {
            setCopied(true);
            document.getElementById('teams-powershell').setAttribute('data-copied', result.out);
        }, () => setCopied(false));
        const actions = (
            <CodeBlockAction>
                <ClipboardCopyButton id="teams-copy" textId="teams-code" aria-label="Copy to clipboard"
                                     onClick={onCopy} exitDelay={copied ? 1500 : 600}
                                     onTooltipHidden={() => setCopied(false)} variant="plain">
                    {copied ? 'Copied' : 'Copy to clipboard'}
                </ClipboardCopyButton>
            </CodeBlockAction>
        );
        body = (
            <Stack hasGutter>
                {warnings(result.err).length > 0 &&
                    <StackItem>
                        <Alert variant="warning" isInline id="teams-warnings" title="Before you run it">
                            <ul>{warnings(result.err).map((l, i) => <li key={i}><Words text={l} /></li>)}</ul>
                        </Alert>
                    </StackItem>}
                <StackItem>
                    <CodeBlock actions={actions} id="teams-powershell">
                        <CodeBlockCode id="teams-code">{result.out}</CodeBlockCode>
                    </CodeBlock>
                </StackItem>
            </Stack>
        );
    }
    return (
        <PageSection>
            <Card>
                <CardTitle><Title headingLevel="h2" size="lg">Teams Direct Routing</Title></CardTitle>
                <CardBody>
                    <Stack hasGutter>
                        <StackItem>
                            <Text>Run this in PowerShell with the MicrosoftTeams module, after
                                Connect-MicrosoftTeams (<code>sbc teams-setup</code> prints the same).</Text>
                        </StackItem>
                        <StackItem>{body}</StackItem>
                    </Stack>
                </CardBody>
            </Card>
        </PageSection>
    );
}
