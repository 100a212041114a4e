/**
 * TcpExt counters under the names Linux prints in /proc/net/netstat (`nstat` shows them as
 * `TcpExt<Name>`): one object per stack, shared by its connections. Only counters the engine
 * actually maintains are listed.
 */
export class TcpExtMib {
  TcpExtTCPLossProbes = 0;
  TcpExtTCPLossProbeRecovery = 0;
  TcpExtTCPSackRecovery = 0;
  TcpExtTCPRenoRecovery = 0;
  TcpExtTCPTimeouts = 0;
  TcpExtTCPFastRetrans = 0;
  TcpExtTCPSlowStartRetrans = 0;
  TcpExtTCPLostRetransmit = 0;
  TcpExtTCPDSACKRecv = 0;
  TcpExtTCPDSACKOldSent = 0;
  TcpExtTCPDSACKOfoSent = 0;
  TcpExtTCPSACKReorder = 0;
  TcpExtTCPRenoReorder = 0;
  TcpExtTCPKeepAlive = 0;
  TcpExtTCPAbortOnTimeout = 0;
  TcpExtTCPAbortOnData = 0;
  TcpExtTCPAbortOnClose = 0;
  TcpExtTCPAbortOnLinger = 0;
  /** Orphans dropped for exceeding `tcp_max_orphans` (at close or on their timers). */
  TcpExtTCPAbortOnMemory = 0;
  TcpExtTCPChallengeACK = 0;
  TcpExtBeyondWindow = 0;
  TcpExtTCPZeroWindowDrop = 0;
  TcpExtTCPRcvQDrop = 0;
  TcpExtTCPWinProbe = 0;
  TcpExtTCPHystartTrainDetect = 0;
  TcpExtTCPHystartTrainCwnd = 0;
  TcpExtTCPHystartDelayDetect = 0;
  TcpExtTCPHystartDelayCwnd = 0;
  /** Segments retransmitted (Linux `Tcp: RetransSegs`, kept here beside the TcpExt ones). */
  RetransSegs = 0;
}

/** Counters of TCBs not (yet) attached to a stack. */
export const DETACHED_MIB = new TcpExtMib();
