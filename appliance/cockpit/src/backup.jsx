/* Backup: "Download backup" (`sbc backup create` into a private temporary folder, read
 * as binary, handed to the browser as opensbc-FQDN-DATE.tar.gz, the folder removed) and
 * "Restore" (backup-restore.jsx). */
import React, { useState } from 'react';
import {
    Alert, Button, Card, CardBody, CardTitle, Grid, GridItem, List, ListItem, PageSection,
    Stack, StackItem, Text, TextContent, Title,
} from '@patternfly/react-core';
import { DownloadIcon } from '@patternfly/react-icons';

import * as api from './backup-api.js';
import { problemText } from './format.js';
import { RestoreCard } from './backup-restore.jsx';

export const CONTENTS = 'sbc.yaml (the configuration), sbc.crt and sbc.key (the certificate ' +
    'with its chain, and its private key), ca-extra.pem (roots you added) and extra profiles.';

function size(bytes) {
    return bytes < 10240 ? bytes + ' bytes' : Math.round(bytes / 1024) + ' KiB';
}

/* Makes the backup and hands it to the browser; resolves to the message to show. */
async function downloadBackup() {
    const temp = await api.tempDir();
    if (!temp.ok)
        return { variant: 'danger', title: 'Could not make a temporary folder: ' + problemText(temp, 'mktemp') };
    try {
        const made = await api.backupCreate(temp.dir + '/' + api.ARCHIVE);
        if (!made.json || !made.json.ok) {
            const why = made.json && made.json.error ? made.json.error : problemText(made, 'sbc backup create');
            return { variant: 'danger', title: 'Making the backup failed: ' + why };
        }
        const bytes = await api.readBinary(made.json.path);
        api.download(bytes, made.json.name);
        return {
            variant: 'success',
            title: 'Downloaded ' + made.json.name + ' (' + size(bytes.length) + ')',
            files: made.json.files.map(f => f.name),
            warnings: made.json.warnings || [],
        };
    } catch (ex) {
        return { variant: 'danger', title: 'Reading the backup failed: ' + (ex.message || ex) };
    } finally {
        await api.removeDir(temp.dir);
    }
}

function DownloadCard() {
    const [busy, setBusy] = useState(false);
    const [result, setResult] = useState(null);

    const start = async () => {
        setBusy(true);
        setResult(null);
        setResult(await downloadBackup());
        setBusy(false);
    };

    return (
        <Card id="backup-card" isFullHeight>
            <CardTitle><Title headingLevel="h2" size="lg">Download backup</Title></CardTitle>
            <CardBody>
                <Stack hasGutter>
                    <StackItem>
                        <TextContent>
                            <Text>One file with everything this SBC needs to be set up again: {CONTENTS}</Text>
                        </TextContent>
                    </StackItem>
                    <StackItem>
                        <Alert variant="warning" isInline id="backup-secret"
                               title="The backup holds the private key and the trunk passwords">
                            Keep it where only administrators can read it, like the SBC itself.
                        </Alert>
                    </StackItem>
                    <StackItem>
                        <Button variant="primary" id="backup-download" icon={<DownloadIcon />}
                                onClick={start} isLoading={busy} isDisabled={busy}>
                            Download backup
                        </Button>
                    </StackItem>
                    {result &&
                        <StackItem>
                            <Alert variant={result.variant} isInline id={result.variant === 'success' ? 'backup-downloaded' : 'backup-problem'}
                                   title={result.title}>
                                {result.files && <Text>Holds {result.files.join(', ')}.</Text>}
                                {(result.warnings || []).length > 0 &&
                                    <List id="backup-notes">
                                        {result.warnings.map((w, i) => <ListItem key={i}>{w}</ListItem>)}
                                    </List>}
                            </Alert>
                        </StackItem>}
                </Stack>
            </CardBody>
        </Card>
    );
}

export function BackupPage({ loadStatus, loadDoctor }) {
    return (
        <PageSection>
            <Grid hasGutter>
                <GridItem xl={5}><DownloadCard /></GridItem>
                <GridItem xl={7}><RestoreCard loadStatus={loadStatus} loadDoctor={loadDoctor} /></GridItem>
            </Grid>
        </PageSection>
    );
}
