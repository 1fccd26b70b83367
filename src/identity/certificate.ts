/**
 * TLS material and settings for the peer port, matching what rippled uses (PROTOCOL.md §1.1).
 * Peers authenticate each other with the node key over the TLS Finished messages, not with
 * certificates, so the certificate is a throwaway self-signed one unless the operator names files.
 */
import {
  X509Certificate,
  constants as cryptoConstants,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
} from 'node:crypto';
import fs from 'node:fs';
import type tls from 'node:tls';
import forge from 'node-forge';

export interface TlsMaterial {
  /** PEM private key. */
  key: string;
  /** PEM certificate, followed by any chain certificates. */
  cert: string;
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

// ---------------------------------------------------------------------------------------------
// Self-signed certificate

/** A random 128-bit serial as minimal positive DER INTEGER content, in hex (what node-forge wants). */
function randomSerialHex(): string {
  let bytes = randomBytes(16);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  const hex = bytes.toString('hex');
  // forge writes the bytes verbatim, so a set top bit needs a 0x00 in front to stay positive.
  return bytes[0]! & 0x80 ? `00${hex}` : hex;
}

/** now − 25 h, truncated to midnight UTC: hides the exact start time, as rippled does. */
function notBeforeFor(now: number): Date {
  const earlier = new Date(now - 25 * HOUR_MS);
  return new Date(Date.UTC(earlier.getUTCFullYear(), earlier.getUTCMonth(), earlier.getUTCDate()));
}

function certificateExtensions(): object[] {
  return [
    { name: 'basicConstraints', critical: true, cA: false },
    { name: 'extKeyUsage', critical: true, serverAuth: true, clientAuth: true },
    { name: 'keyUsage', critical: true, digitalSignature: true },
    // forge hashes the subject public key (RFC 5280 method 1), like OpenSSL's "hash".
    { name: 'subjectKeyIdentifier' },
  ];
}

/** Exists in node-forge (it is what `cert.sign()` uses) but is missing from @types/node-forge. */
interface ForgeTbs {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
}

/**
 * Signs with Node's native RSA instead of forge's pure-JS one (≈ 50 ms saved): forge only lays out
 * the TBSCertificate, and we fill in the signature fields it would have set in `cert.sign()`.
 */
function signNatively(cert: forge.pki.Certificate, privateKeyPem: string): void {
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.tbsCertificate = (forge.pki as unknown as ForgeTbs).getTBSCertificate(cert);
  const tbsDer = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = cryptoSign('sha256', tbsDer, privateKeyPem).toString('binary');
}

/** A fresh RSA-2048 key and self-signed X.509 v3 certificate with rippled's fields, as PEM. */
export function makeSelfSignedCertificate(): TlsMaterial {
  const now = Date.now();
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  const cert = forge.pki.createCertificate();
  cert.version = 2; // X.509 v3
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = notBeforeFor(now);
  cert.validity.notAfter = new Date(now + 730 * DAY_MS);
  cert.setSubject([]);
  cert.setIssuer([]);
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.setExtensions(certificateExtensions());
  signNatively(cert, privateKey);

  return { key: privateKey, cert: forge.pki.certificateToPem(cert) };
}

// ---------------------------------------------------------------------------------------------
// Operator-supplied files

function readPemFile(setting: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read ${setting} file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function firstCertificate(pem: string, source: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new Error(`No valid PEM certificate in ${source}`, { cause: error });
  }
}

/**
 * `[port_peer] ssl_key/ssl_cert/ssl_chain`, or a self-signed certificate when none is set.
 * The chain file's certificates follow the certificate (or stand in for it, as in rippled).
 */
export function loadTlsMaterial(opts: { sslKey?: string; sslCert?: string; sslChain?: string }): TlsMaterial {
  const { sslKey, sslCert, sslChain } = opts;
  if (!sslKey && !sslCert && !sslChain) return makeSelfSignedCertificate();
  if (!sslKey) throw new Error('ssl_cert/ssl_chain are set but ssl_key is not');
  if (!sslCert && !sslChain) throw new Error('ssl_key is set but neither ssl_cert nor ssl_chain is');

  const key = readPemFile('ssl_key', sslKey);
  const certParts = [sslCert && readPemFile('ssl_cert', sslCert), sslChain && readPemFile('ssl_chain', sslChain)];
  const cert = certParts
    .filter((part): part is string => Boolean(part))
    .map((part) => (part.endsWith('\n') ? part : `${part}\n`))
    .join('');

  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new Error(`No valid PEM private key in ssl_key file ${sslKey}`, { cause: error });
  }
  const leafSource = sslCert ? `ssl_cert file ${sslCert}` : `ssl_chain file ${sslChain}`;
  if (!firstCertificate(cert, leafSource).checkPrivateKey(privateKey)) {
    throw new Error(`ssl_key file ${sslKey} does not match the certificate in ${leafSource}`);
  }
  return { key, cert };
}

// ---------------------------------------------------------------------------------------------
// TLS settings

/**
 * rippled's TLS ≤ 1.2 list, which Node's OpenSSL 3 understands as is. TLS 1.3 suites are configured
 * separately by OpenSSL (Node keeps its defaults when the string names none), as in rippled.
 */
export const PEER_CIPHERS = 'TLSv1.2:!CBC:!DSS:!PSK:!eNULL:!aNULL';

const PEER_SECURE_OPTIONS = cryptoConstants.SSL_OP_NO_RENEGOTIATION | cryptoConstants.SSL_OP_NO_COMPRESSION;

function commonOptions(material: TlsMaterial): tls.SecureContextOptions & tls.CommonConnectionOptions {
  return {
    key: material.key,
    cert: material.cert,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: PEER_CIPHERS,
    secureOptions: PEER_SECURE_OPTIONS,
    rejectUnauthorized: false,
  };
}

export function tlsServerOptions(material: TlsMaterial): tls.TlsOptions {
  return { ...commonOptions(material), requestCert: false };
}

export function tlsClientOptions(material: TlsMaterial): tls.ConnectionOptions {
  // rippled sends no SNI. Node's tls.connect only sends one for a non-empty servername; '' makes that
  // explicit and overrides a host name a caller might pass.
  return { ...commonOptions(material), servername: '' };
}
