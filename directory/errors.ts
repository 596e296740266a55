/**
 * Errors of the address book. Each says what is wrong and where (file, line, column); none
 * carries a whole line of the file.
 */

/** A directory file does not have the expected layout (header, column count, encoding). */
export class DirectoryFormatError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line !== undefined ? `line ${line}: ${message}` : message);
    this.name = 'DirectoryFormatError';
  }
}

/** An import would go backwards: the file is older than the last one imported. */
export class StaleDirectoryFileError extends Error {
  constructor(fileDate: string, lastDate: string) {
    super(`directory file dated ${fileDate} is older than the last imported file (${lastDate}); pass force to import it anyway`);
    this.name = 'StaleDirectoryFileError';
  }
}
