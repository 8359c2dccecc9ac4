/**
 * The `Environment=` assignments of a systemd unit, so that the demo and the benchmarks run the
 * compiled build exactly as the shipped unit does. Handles the forms the units use: one
 * assignment per line, optionally wrapped in double quotes (systemd.exec(5), "Environment=").
 */
export declare function readUnitEnvironment(unitPath: string): Record<string, string>;
/** The script `ExecStart=` runs, relative to the install root (/opt/gridlink in the units). */
export declare function readUnitScript(unitPath: string, installRoot?: string): string;
