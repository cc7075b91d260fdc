export { addQuoteExamples, quoteRoutes } from './routes.js';
export { quote, quoteCsv, quoteWorkbook } from './service.js';
