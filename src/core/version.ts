import packageJson from '../../package.json';

export const LIFEBOAT_VERSION: string = packageJson.version;
export const LIFEBOAT_TOOL = `lifeboat ${LIFEBOAT_VERSION}`;
