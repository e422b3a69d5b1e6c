/**
 * Silences Node's DEP0123 ("Setting the TLS ServerName to an IP address is not permitted by RFC
 * 6066"), and only it. grpc-js sends the target's host as the TLS server name, so every TLS
 * channel to an address such as 127.0.0.1 triggers it once per process — on a CLI's stderr, in
 * front of the answers users and scripts read. The name only selects a certificate on servers
 * that serve several; Bosun's servers have one, and the certificate is still checked against
 * the address (its IP SAN), so nothing is lost.
 */
const DEP_IP_SERVERNAME = 'DEP0123';

let installed = false;

export function silenceIpServernameWarning(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0];
    const code = typeof options === 'object' && options !== null ? (options as { code?: string }).code : rest[1];
    if (code === DEP_IP_SERVERNAME) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
