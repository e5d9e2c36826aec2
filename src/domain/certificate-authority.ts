// The certificate-authority API in one place, for activities and Key Vault wrappers: profiles, signer seam,
// UPN and thumbprint rules, serials, validity, PEM and gateway formats, PKCS#12 and Key Vault secrets.
export { buildRootCertificate } from "./root-certificate";
export type { RootCertificateRequest } from "./root-certificate";
export { CertificateRequestRejectedError, buildClientCertificate } from "./client-certificate";
export type { ClientCertificateRequest } from "./client-certificate";
export { describeCertificate, parseCertificate } from "./certificate-info";
export type { CertificateInfo } from "./certificate-info";
export { verifyIssuedBy } from "./certificate-verify";
export { signerCrypto } from "./signer";
export type { Signer, SignerAlgorithm } from "./signer";
export { createKeyObjectSigner, signDigest } from "./key-object-signer";
export { MIN_RSA_MODULUS_BITS, assertRsaPublicKey, rsaSpkiFromModulus, spkiOfPrivateKey } from "./rsa-public-key";
export { InvalidUpnError, assertUpn, keyVaultCertificateName, parseUpn, sameUpn, upnKey } from "./upn";
export type { Upn, UpnResult } from "./upn";
export { normaliseThumbprint, parseThumbprint, sameThumbprint, thumbprintOf } from "./thumbprint";
export { assertSerialNumber, generateSerialNumber } from "./serial-number";
export { DEFAULT_CLOCK_SKEW_MINUTES, checkValidity, clientValidity, rootValidity } from "./validity";
export type { Validity, ValidityOptions } from "./validity";
export { derToPem, fromGatewayCertData, pemBlocks, pemToDer, toGatewayCertData } from "./pem";
export { DEFAULT_PKCS12_ITERATIONS, buildPkcs12, keyMatchesCertificate } from "./pkcs12";
export type { Pkcs12Encryption, Pkcs12Input } from "./pkcs12";
export { PEM_CONTENT_TYPE, readCertificateSecret, readPemBundle, selectKeyAndChain } from "./certificate-secret";
export type { CertificateWithKey, KeysAndCertificates } from "./certificate-secret";
