/** The studio loads exported generators through the library's browser entry (`gantry/browser`). */
export { LoadedGenerator, checkExportedModel, slerp, EXPORT_FORMAT, type ExportedModel, type SamplerInput } from '../../src/browser.ts';
