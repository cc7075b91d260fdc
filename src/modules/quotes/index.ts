export { addQuoteExamples, quoteRoutes } from './routes.js';
export { quote, quoteCsv } from './service.js';
