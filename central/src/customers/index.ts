export {
  type Cnpj,
  type Cpf,
  cnpjCheckDigits,
  cpfCheckDigits,
  formatCnpj,
  formatCpf,
  isValidCnpj,
  isValidCpf,
  normalizeCnpj,
  normalizeCpf,
  normalizeTaxDocument,
  type TaxDocument,
} from './documents.js';
export { DOCUMENT_INVALID } from './errors.js';
