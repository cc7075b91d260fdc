export { loadBooks, type Period } from './repository.js';
