import Foundation
import LedgerDaemon

let arguments = Array(CommandLine.arguments.dropFirst())
exit(Commands.main(arguments: arguments, environment: ProcessInfo.processInfo.environment))
