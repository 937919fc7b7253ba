import { readFileSync } from 'node:fs';
import { faqOf } from './import.js';
import type { Brand, Faq } from './types.js';

export const DEMO_BRAND_ID = 'demo-brand';

interface DemoFile {
  brand: {
    id: string;
    nameZh: string;
    nameEn: string;
    operatorZh: string;
    operatorEn: string;
    contactEmail: string;
    contactPhone: string;
    merchantLicence: string;
  };
  faqs: unknown[];
  products: unknown[];
}

/** The demo brand, its FAQs, and its products as an import document (validated like any import). */
export function loadDemoCatalogue(): { brand: Brand; faqs: Faq[]; productsJson: string } {
  const file = JSON.parse(readFileSync(new URL('./seed/demo-catalogue.json', import.meta.url), 'utf8')) as DemoFile;
  const b = file.brand;
  const faqs = file.faqs.map((f, i) => {
    const faq = faqOf(f);
    if (!faq) throw new Error(`demo catalogue: brand FAQ ${i + 1} is invalid`);
    return faq;
  });
  return {
    brand: {
      id: b.id,
      name: { zh: b.nameZh, en: b.nameEn },
      operator: { zh: b.operatorZh, en: b.operatorEn },
      contactEmail: b.contactEmail,
      contactPhone: b.contactPhone,
      merchantLicence: b.merchantLicence,
    },
    faqs,
    productsJson: JSON.stringify(file.products),
  };
}
