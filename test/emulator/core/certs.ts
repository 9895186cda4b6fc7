import 'reflect-metadata';

import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ensurePrivateDir } from './ownerOnly';

import * as x509 from '@peculiar/x509';

/**
 * Local CA plus a `localhost` server certificate, generated on first start into the state directory.
 * @peculiar/x509 (WebCrypto-based, maintained by PeculiarVentures) builds proper CA-signed chains with SAN and
 * key-usage extensions; hand-rolled ASN.1 would be fragile and `openssl` may not exist on the machine.
 */
export interface TlsMaterial {
    readonly caCertPath: string;
    readonly caCertPem: string;
    readonly certPem: string;
    readonly keyPem: string;
}

const ALG: webcrypto.RsaHashedKeyGenParams = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
};
const DAY_MS = 86_400_000;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

function toPem(label: string, der: ArrayBuffer): string {
    const base64 = Buffer.from(der).toString('base64');
    return `-----BEGIN ${label}-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

async function generate(): Promise<{ caCertPem: string; certPem: string; keyPem: string }> {
    const now = Date.now();
    const caKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=Entra Rotator Emulator Local CA',
        notBefore: new Date(now - DAY_MS),
        notAfter: new Date(now + 3650 * DAY_MS),
        keys: caKeys,
        signingAlgorithm: ALG,
        extensions: [
            new x509.BasicConstraintsExtension(true, 0, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
            await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
        ],
    });
    const leafKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: '02',
        subject: 'CN=localhost',
        issuer: ca.subject,
        notBefore: new Date(now - DAY_MS),
        notAfter: new Date(now + 825 * DAY_MS),
        signingKey: caKeys.privateKey,
        publicKey: leafKeys.publicKey,
        signingAlgorithm: ALG,
        extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
            new x509.SubjectAlternativeNameExtension([
                { type: 'dns', value: 'localhost' },
                { type: 'ip', value: '127.0.0.1' },
            ]),
            await x509.AuthorityKeyIdentifierExtension.create(ca),
        ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
    return {
        caCertPem: ca.toString('pem') + '\n',
        certPem: leaf.toString('pem') + '\n',
        keyPem: toPem('PRIVATE KEY', pkcs8),
    };
}

/** Loads the CA and server certificate from `stateDir`, creating them on first start. */
export async function ensureTlsMaterial(stateDir: string): Promise<TlsMaterial> {
    ensurePrivateDir(stateDir);
    const caCertPath = join(stateDir, 'ca.pem');
    const certPath = join(stateDir, 'localhost.pem');
    const keyPath = join(stateDir, 'localhost-key.pem');
    if (!(existsSync(caCertPath) && existsSync(certPath) && existsSync(keyPath))) {
        const material = await generate();
        writeFileSync(keyPath, material.keyPem, { mode: 0o600 });
        writeFileSync(certPath, material.certPem);
        writeFileSync(caCertPath, material.caCertPem);
    }
    return {
        caCertPath,
        caCertPem: readFileSync(caCertPath, 'utf8'),
        certPem: readFileSync(certPath, 'utf8'),
        keyPem: readFileSync(keyPath, 'utf8'),
    };
}
