/* A certificate field: upload a file (PEM or DER, DER is turned into PEM here) or paste
 * PEM text; the command's refusal (check, message, hint) is shown under it. Shared by
 * "Import certificate" and "Add a root CA"; the text goes to `sbc cert ... -` on stdin. */
import React from 'react';
import { FileUpload, FormGroup, FormHelperText, HelperText, HelperTextItem } from '@patternfly/react-core';

import { Words } from './common.jsx';

const BEGIN = '-----BEGIN';

/* DER bytes as a PEM certificate block. */
export function derToPem(bytes) {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
        binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    const lines = window.btoa(binary).match(/.{1,64}/g) || [];
    return '-----BEGIN CERTIFICATE-----\n' + lines.join('\n') + '\n-----END CERTIFICATE-----\n';
}

/* A file's certificate(s) as PEM text: PEM as it is, a DER certificate converted. */
export async function fileText(file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const text = new TextDecoder('utf-8').decode(bytes);
    return text.includes(BEGIN) ? text : derToPem(bytes);
}

/* The command's refusal as the field shows it: "fqdn check: ..." and what to do. */
export function RefusalText({ error, idPrefix }) {
    if (!error)
        return null;
    return (
        <>
            <HelperTextItem variant="error" id={idPrefix + '-error'} data-check={error.check || ''}>
                {error.check ? error.check + ' check: ' : ''}<Words text={error.message} />
            </HelperTextItem>
            {error.hint &&
                <HelperTextItem id={idPrefix + '-hint'}>What to do: <Words text={error.hint} /></HelperTextItem>}
        </>
    );
}

export function PemField({ id, label, field, onChange, error, helper, isRequired, isDisabled }) {
    const fail = Boolean(error);
    return (
        <FormGroup label={label} fieldId={id} isRequired={isRequired}>
            <div id={id + '-upload'}>
                <FileUpload id={id} type="text" value={field.value} filename={field.filename}
                            filenamePlaceholder="Upload a file (PEM or DER) or paste the text below"
                            textAreaPlaceholder={'-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----'}
                            browseButtonText="Upload" clearButtonText="Clear"
                            allowEditingUploadedText isDisabled={isDisabled}
                            validated={fail ? 'error' : 'default'}
                            onFileInputChange={(_e, file) => {
                                fileText(file).then(text => onChange({ value: text, filename: file.name }),
                                                    ex => onChange({ value: '', filename: file.name, readError: String(ex) }));
                            }}
                            onTextChange={(_e, text) => onChange({ value: text, filename: field.filename })}
                            onClearClick={() => onChange({ value: '', filename: '' })} />
            </div>
            {(fail || helper || field.readError) &&
                <FormHelperText>
                    <HelperText>
                        {field.readError &&
                            <HelperTextItem variant="error">Could not read {field.filename}: {field.readError}</HelperTextItem>}
                        <RefusalText error={error} idPrefix={id} />
                        {helper && !fail && <HelperTextItem id={id + '-help'}>{helper}</HelperTextItem>}
                    </HelperText>
                </FormHelperText>}
        </FormGroup>
    );
}

export const emptyField = { value: '', filename: '' };
