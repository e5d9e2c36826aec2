// Published P2S limits per gateway (MicrosoftDocs azure-virtual-network-limits: 20 roots, 300 revoked certificates).
export const MAX_ROOT_CERTIFICATES = 20;
export const MAX_REVOKED_CERTIFICATES = 300;
