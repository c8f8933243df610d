import type {
  AccountRequest,
  AnswerMfaRequest,
  BankAccount,
  BankBalance,
  BankConnector,
  BankIdentity,
  CallOptions,
  ConnectorOperation,
  CreateMandateRequest,
  CreditRequest,
  DebitRequest,
  LoginResult,
  Mandate,
  MandateDebitRequest,
  MandateLookup,
  MandateRequest,
  SessionRequest,
  StartLoginRequest,
  StatusRequest,
  TransactionsPage,
  TransactionsRequest,
  TransferResult,
  TransferStatus,
} from "../connector.js";
import type { OpRequest, OpResult } from "./types.js";

/**
 * A connector whose every method is the same call with the operation's name: the sandbox bank's
 * transports (in-process and HTTP) each implement {@link call} once, and this class gives them the
 * typed interface.
 */
export abstract class DispatchingConnector implements BankConnector {
  abstract readonly bankId: string;

  /** Runs one operation; throws a classified ConnectorError. */
  protected abstract call<O extends ConnectorOperation>(op: O, request: OpRequest<O>, options: CallOptions | undefined): Promise<OpResult<O>>;

  startLogin(request: StartLoginRequest, options?: CallOptions): Promise<LoginResult> {
    return this.call("startLogin", request, options);
  }
  answerMfa(request: AnswerMfaRequest, options?: CallOptions): Promise<LoginResult> {
    return this.call("answerMfa", request, options);
  }
  listAccounts(request: SessionRequest, options?: CallOptions): Promise<BankAccount[]> {
    return this.call("listAccounts", request, options);
  }
  getBalance(request: AccountRequest, options?: CallOptions): Promise<BankBalance> {
    return this.call("getBalance", request, options);
  }
  listTransactions(request: TransactionsRequest, options?: CallOptions): Promise<TransactionsPage> {
    return this.call("listTransactions", request, options);
  }
  getIdentity(request: SessionRequest, options?: CallOptions): Promise<BankIdentity> {
    return this.call("getIdentity", request, options);
  }
  debit(request: DebitRequest, options?: CallOptions): Promise<TransferResult> {
    return this.call("debit", request, options);
  }
  debitStatus(request: StatusRequest, options?: CallOptions): Promise<TransferStatus> {
    return this.call("debitStatus", request, options);
  }
  credit(request: CreditRequest, options?: CallOptions): Promise<TransferResult> {
    return this.call("credit", request, options);
  }
  creditStatus(request: StatusRequest, options?: CallOptions): Promise<TransferStatus> {
    return this.call("creditStatus", request, options);
  }
  createMandate(request: CreateMandateRequest, options?: CallOptions): Promise<Mandate> {
    return this.call("createMandate", request, options);
  }
  getMandate(request: MandateLookup, options?: CallOptions): Promise<Mandate> {
    return this.call("getMandate", request, options);
  }
  cancelMandate(request: MandateRequest, options?: CallOptions): Promise<Mandate> {
    return this.call("cancelMandate", request, options);
  }
  debitMandate(request: MandateDebitRequest, options?: CallOptions): Promise<TransferResult> {
    return this.call("debitMandate", request, options);
  }

  mandateBalance(request: MandateRequest, options?: CallOptions): Promise<BankBalance> {
    return this.call("mandateBalance", request, options);
  }
}
