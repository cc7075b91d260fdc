import type ExcelJSModule from 'exceljs';

type ExcelJS = typeof ExcelJSModule;
let loading: Promise<ExcelJS> | undefined;

/**
 * exceljs, loaded on the first XLSX response rather than at start-up: it and what it brings (archiver,
 * jszip …) add about 30 MiB to the process, which a service that never writes a workbook need not carry.
 */
export function loadExcel(): Promise<ExcelJS> {
  loading ??= import('exceljs').then((module) => (module as { default?: ExcelJS }).default ?? module);
  return loading;
}
