/**
 * Faults the test hub raises, with Koji's codes and message forms. Koji exceptions keep
 * their text; any other Python exception becomes fault 1 with `"<class 'X'>: text"`
 * (kojixmlrpc's default when KojiTraceback is unset).
 */
export class HubFault extends Error {
  readonly faultCode: number;
  readonly faultString: string;

  constructor(faultCode: number, faultString: string) {
    super(faultString);
    this.faultCode = faultCode;
    this.faultString = faultString;
  }
}

export const genericError = (msg: string): HubFault => new HubFault(1000, msg);
export const authError = (msg: string): HubFault => new HubFault(1002, msg);
export const actionNotAllowed = (msg: string): HubFault => new HubFault(1004, msg);
export const authExpired = (msg: string): HubFault => new HubFault(1007, msg);
export const sequenceError = (msg: string): HubFault => new HubFault(1008, msg);
export const retryError = (msg: string): HubFault => new HubFault(1009, msg);
export const parameterError = (msg: string): HubFault => new HubFault(1019, msg);
/** A non-Koji Python exception (TypeError, NotImplementedError…): fault 1. */
export const pythonError = (cls: string, msg: string): HubFault => new HubFault(1, `<class '${cls}'>: ${msg}`);
