/**
 * Brazilian tax documents (CPF, CNPJ): normalization, check digits, formatting. A leaf: it
 * imports only the error catalog, so the central (customers, Pix) and the simulator share it.
 */
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
} from './cpf-cnpj.js';
