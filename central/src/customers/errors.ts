import type { ErrorCode } from '@gridlink/shared';

/** A bad CPF/CNPJ; `details.reason` names the rule (`cpf.check-digits`, …). */
export const DOCUMENT_INVALID: ErrorCode = 'GL_DOCUMENT_INVALID';
