import * as fsp from 'node:fs/promises';

/** Makes a rename or link in `folder` durable: without it a crash may forget the new name. */
export async function fsyncFolder(folder: string): Promise<void> {
  const handle = await fsp.open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
