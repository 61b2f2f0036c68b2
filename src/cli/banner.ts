/** What `nimbus start` prints for a person: where to sign in and how to register a phone. */
import type { NimbusNode } from '../app.js';

export function startBanner(node: NimbusNode): string {
  const c = node.config;
  const lines: string[] = [];
  const rule = '─'.repeat(72);
  lines.push(
    rule,
    ` Nimbus PBX is running  (database: ${node.engine === 'pglite' ? `embedded, ${c.dataDir}/db` : 'PostgreSQL'})`,
    rule,
  );
  lines.push(` Web portal:        ${node.httpUrl}/   (sign in with an account below)`);
  lines.push(` REST API:          ${node.httpUrl}/api/v1`);
  lines.push(` API docs:          ${node.httpUrl}/api/docs`);
  lines.push(
    ` HTTPS:             https://${c.publicAddress}:${node.httpsPort}   (same API, TLS certificate)`,
  );
  lines.push(` Health / metrics:  ${node.httpUrl}/readyz  ${node.httpUrl}/metrics`);
  lines.push(
    ` SIP:               ${c.publicAddress}:${node.sipPorts.udp} (UDP and TCP): phones register and call each other;`,
  );
  lines.push(
    `                    TLS ${c.publicAddress}:${node.sipPorts.tls}, WebSocket ${node.httpUrl.replace(/^http/, 'ws')}/sip`,
  );
  lines.push(`                    secure WebSocket wss://${c.publicAddress}:${node.httpsPort}/sip`);
  lines.push(
    ` Media (RTP):       UDP ${c.rtpPortMin}-${c.rtpPortMax} on ${c.publicAddress} (open them in the firewall)`,
  );
  lines.push('                    dial *43 echo test, *44 key test, *77 conference room');
  if (c.webrtcPortMin !== null)
    lines.push(
      ` Browser phones:    UDP ${c.webrtcPortMin}-${c.webrtcPortMax} (WebRTC; open them in the firewall)`,
    );
  if (node.firstOperator) {
    lines.push('', ' Operator (platform admin) sign-in:');
    lines.push(`   email     ${node.firstOperator.email}`);
    lines.push(
      node.firstOperator.password
        ? `   password  ${node.firstOperator.password}    <- shown once; write it down`
        : '   password  the one given in NIMBUS_ADMIN_PASSWORD',
    );
  }
  if (node.demo) {
    const d = node.demo;
    lines.push('', ` Demo tenant "${d.name}" (SIP domain ${d.sipDomain}):`);
    lines.push(`   admin sign-in  ${d.admin.email} / ${d.admin.password}    <- shown once`);
    lines.push('   Register a phone or softphone with:');
    lines.push(`     SIP server / domain  ${d.sipDomain}   port ${node.sipPorts.udp}`);
    for (const e of d.extensions)
      lines.push(`     user ${e.number}  password ${e.sipSecret}   (${e.displayName})`);
  }
  if (!node.firstOperator && !node.demo) {
    lines.push('', ' Sign in with the credentials printed at first start.');
    lines.push(' Lost them? `nimbus admin reset-password --email EMAIL` sets a new one.');
  }
  lines.push(rule);
  return lines.join('\n');
}
