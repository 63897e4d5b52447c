/*
 * rawrelay.js as an ES module: import RawRelay, { connect } from '/rawrelay.esm.js';
 * (rawrelay.js itself is a classic script that defines window.RawRelay; see its comment for the API.)
 */
import './rawrelay.js';

const RawRelay = globalThis.RawRelay;
export const connect = RawRelay.connect;
export default RawRelay;
