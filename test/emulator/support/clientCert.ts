import 'reflect-metadata';

import { createHash, webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

export interface ClientCertificate {
    privateKeyPem: string;
    /** Graph `keyCredentials[].key`: base64 DER. */
    derBase64: string;
    sha1Hex: string;
    sha256Hex: string;
}

const ALG = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
};

/** A self-signed client certificate like `New-SelfSignedCertificate` makes for app credentials. */
export async function makeClientCertificate(
    subject: string,
    notAfter = new Date(Date.now() + 365 * 86400_000),
): Promise<ClientCertificate> {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: Date.now().toString(16),
        name: `CN=${subject}`,
        notBefore: new Date(Date.now() - 86400_000),
        notAfter,
        keys,
        signingAlgorithm: ALG,
    });
    const der = Buffer.from(cert.rawData);
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    return {
        privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`,
        derBase64: der.toString('base64'),
        sha1Hex: createHash('sha1').update(der).digest('hex').toUpperCase(),
        sha256Hex: createHash('sha256').update(der).digest('hex').toUpperCase(),
    };
}
