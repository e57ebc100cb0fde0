/* The installed certificate as `sbc cert show --json` describes it: the name, days left,
 * each check finding (files, key, chain, order, fqdn, validity, expiry, key-type, eku)
 * with a green/amber/red icon and what to do, and the facts with the chain. */
import React from 'react';
import {
    DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm,
    List, ListItem, Stack, StackItem, Text,
} from '@patternfly/react-core';

import { LevelIcon, Words } from './common.jsx';

const CHECKS = {
    files: 'Files', parse: 'Format', key: 'Private key', chain: 'Chain', order: 'Order',
    fqdn: 'Name', validity: 'Validity', expiry: 'Expiry', 'key-type': 'Key type',
    eku: 'Key usage (EKU)', load: 'TLS load', missing: 'Certificate',
};

export function when(iso) {
    return iso ? String(iso).slice(0, 16).replace('T', ' ') + ' UTC' : '';
}

/* ok / warn / fail of the whole: the worst finding (the show's warnings without one). */
export function installedLevel(info) {
    const findings = (info.assessment && info.assessment.findings) || [];
    if (findings.some(f => f.level === 'fail'))
        return 'fail';
    if (findings.some(f => f.level === 'warn') || (!info.assessment && (info.warnings || []).length))
        return 'warn';
    return 'ok';
}

function Fact({ term, id, children }) {
    return (
        <DescriptionListGroup>
            <DescriptionListTerm>{term}</DescriptionListTerm>
            <DescriptionListDescription id={id}>{children}</DescriptionListDescription>
        </DescriptionListGroup>
    );
}

export function Findings({ findings }) {
    return (
        <List isPlain id="certificate-findings">
            {findings.map((f, i) => (
                <ListItem key={i} icon={<LevelIcon level={f.level} />} data-check={f.check} data-level={f.level}>
                    <div>
                        {f.check && <><strong>{CHECKS[f.check] || f.check}</strong>: </>}<Words text={f.message} />
                        {f.hint && f.level !== 'ok' && <div>What to do: <Words text={f.hint} /></div>}
                    </div>
                </ListItem>
            ))}
        </List>
    );
}

export function InstalledCertificate({ info }) {
    const leaf = info.certificate || {};
    const level = installedLevel(info);
    const days = leaf.days_left;
    const assessment = info.assessment;
    const findings = assessment ? assessment.findings
        : (info.warnings || []).map(w => ({ check: '', level: 'warn', message: w, hint: '' }));
    const key = [leaf.key_type, leaf.key_size, leaf.curve ? '(' + leaf.curve + ')' : ''].filter(Boolean).join(' ');
    const daysText = days < 0 ? 'expired ' + (-days) + ' days ago' : days + ' days left';
    return (
        <Stack hasGutter id="certificate" data-level={level === 'fail' ? 'bad' : level} data-source="files">
            <StackItem>
                <Text>
                    <LevelIcon level={level} /> <strong id="certificate-title">{leaf.common_name || leaf.subject}</strong>
                </Text>
                <Text id="certificate-text">{daysText}, until {when(leaf.not_after)}</Text>
                {!assessment &&
                    <Text id="certificate-no-fqdn">The SBC FQDN is not set in the configuration, so the certificate
                        is not checked against it.</Text>}
            </StackItem>
            {findings.length > 0 && <StackItem><Findings findings={findings} /></StackItem>}
            <StackItem>
                <DescriptionList isHorizontal isCompact id="certificate-facts">
                    <Fact term="Names" id="certificate-names">{(leaf.sans || []).concat(leaf.ip_sans || []).join(', ') || '—'}</Fact>
                    <Fact term="Issuer">{leaf.issuer_name || leaf.issuer}</Fact>
                    <Fact term="Valid">{when(leaf.not_before)} to {when(leaf.not_after)}</Fact>
                    <Fact term="Key">{key}</Fact>
                    <Fact term="Key usage">{leaf.ekus ? leaf.ekus.join(', ') : 'none given'}</Fact>
                    <Fact term="Chain" id="certificate-chain">
                        {(info.chain || []).length
                            ? <ol>{info.chain.map((c, i) => (
                                <li key={i}>{c.subject} (until {String(c.not_after).slice(0, 10)})</li>
                            ))}</ol>
                            : 'no intermediates in the file'}
                    </Fact>
                    <Fact term="File">{info.path}</Fact>
                    <Fact term="SHA-256"><small>{leaf.sha256}</small></Fact>
                </DescriptionList>
            </StackItem>
        </Stack>
    );
}
