import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';

// LibreOffice Calc, headless (Debian's libreoffice-calc-nogui, which .ci/run installs), as a real
// spreadsheet that opens a workbook, recalculates every formula and saves the results: the proof that
// a live workbook's formulas give the published figures in a spreadsheet, not only in our own reading.

export const SOFFICE = '/usr/bin/soffice';
export const libreOfficeAvailable = existsSync(SOFFICE);
if (!libreOfficeAvailable && process.env.CI) {
  throw new Error(
    `${SOFFICE} is missing: .ci/run installs it with apt-get install -y libreoffice-calc-nogui`,
  );
}

const run = promisify(execFile);

/**
 * A user profile that recalculates every formula of a workbook when it is loaded (LibreOffice's own
 * default for an XLSX is to trust the cached results).
 */
const RECALCULATE_ON_LOAD = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
`;

/**
 * Each workbook with every formula's cached result taken out, so that a figure read back after
 * recalculation can only have come from the formula.
 */
export async function withoutResults(bytes: Buffer): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  workbook.eachSheet((sheet) => {
    sheet.eachRow((row) => {
      row.eachCell((cell) => {
        const value = cell.value;
        if (value !== null && typeof value === 'object' && 'formula' in value) {
          cell.value = { formula: (value as ExcelJS.CellFormulaValue).formula } as ExcelJS.CellFormulaValue;
        }
      });
    });
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Workbooks per run of soffice: a long run has been seen to stop converting part-way. */
const CHUNK = 30;
/** Runs of soffice at once, each with a profile of its own. */
const PARALLEL = 2;

/** Converts `files` into `output` in one run of soffice, with the recalculating profile at `profile`. */
async function convert(profile: string, files: readonly string[], output: string): Promise<void> {
  await run(
    SOFFICE,
    [
      `-env:UserInstallation=${pathToFileURL(profile).href}`,
      '--headless',
      '--norestore',
      '--nolockcheck',
      '--convert-to',
      'xlsx:Calc MS Excel 2007 XML',
      '--outdir',
      output,
      ...files,
    ],
    { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  );
}

/**
 * Opens each workbook in LibreOffice, recalculates it and saves it again as XLSX (in runs of soffice of
 * CHUNK workbooks, PARALLEL at a time; a workbook a run left out is tried once more on its own), and
 * returns the workbooks as read back by exceljs: a formula cell's result is what LibreOffice worked out.
 */
export async function recalculate(workbooks: readonly Buffer[]): Promise<ExcelJS.Workbook[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'recalculate-'));
  try {
    const profiles = await Promise.all(
      Array.from({ length: PARALLEL }, async (_, i) => {
        const profile = path.join(dir, `profile-${i}`);
        await mkdir(path.join(profile, 'user'), { recursive: true });
        await writeFile(path.join(profile, 'user', 'registrymodifications.xcu'), RECALCULATE_ON_LOAD);
        return profile;
      }),
    );
    const input = path.join(dir, 'in');
    const output = path.join(dir, 'out');
    await mkdir(input);
    const files = workbooks.map((_, i) => path.join(input, `w${i}.xlsx`));
    await Promise.all(workbooks.map((bytes, i) => writeFile(files[i]!, bytes)));
    const chunks: string[][] = [];
    for (let i = 0; i < files.length; i += CHUNK) chunks.push(files.slice(i, i + CHUNK));
    await Promise.all(
      profiles.map(async (profile, lane) => {
        for (let c = lane; c < chunks.length; c += PARALLEL) await convert(profile, chunks[c]!, output);
      }),
    );
    const converted = (i: number) => path.join(output, `w${i}.xlsx`);
    for (const [i, file] of files.entries()) {
      if (!existsSync(converted(i))) await convert(profiles[0]!, [file], output);
    }
    return await Promise.all(
      files.map(async (_, i) => {
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.load((await readFile(converted(i))) as unknown as ArrayBuffer);
        return workbook;
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
